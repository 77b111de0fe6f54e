/*
 * tsquic's native UDP socket (Linux): batches of datagrams per system call, driven from Node's
 * event loop.
 *
 * Why it exists: node:dgram makes one system call per datagram each way and reads at most 32
 * per wake-up, and it cannot mark or read ECN (RFC 9000 §13.4). Here:
 * - send: sendmmsg, each message one buffer of N equal datagrams (the last may be shorter) to
 *   one destination with UDP_SEGMENT (GSO): the kernel splits it. Without GSO (an old kernel, a
 *   device that refuses it) each datagram is its own message of the same sendmmsg. The ECN
 *   codepoint goes out per message (IP_TOS / IPV6_TCLASS control message).
 * - receive: recvmmsg into a buffer the JavaScript side owns, with UDP_GRO (one message may
 *   hold many datagrams of one size from one sender) and IP_RECVTOS / IPV6_RECVTCLASS (the ECN
 *   codepoint of each message); one call into JavaScript per recvmmsg.
 * - IP_MTU_DISCOVER = IP_PMTUDISC_PROBE: the DF bit set and the kernel's PMTU estimate
 *   ignored; QUIC finds the path MTU itself (RFC 9000 §14.3, DPLPMTUD of RFC 8899).
 * - a uv_poll handle on the socket wakes the JavaScript side: readable always, writable only
 *   while sends wait for room (EAGAIN). No thread, no busy loop.
 *
 * JavaScript callbacks are called with the global object as receiver through
 * napi_make_callback (which also runs the microtasks and nextTick queue after them, as Node's
 * own I/O callbacks do); an exception they throw becomes an uncaught exception, as it would
 * from a dgram 'message' listener.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <linux/filter.h>
#include <netinet/udp.h>
#include <node_api.h>
#include "tsquic_args.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

/* Messages per recvmmsg, and recvmmsg calls per wake-up (then the loop serves others). */
#define RECV_MESSAGES 16
#define RECV_ROUNDS 8
/* One receive slot: a GRO message holds at most 64 KiB. */
#define RECV_SLOT 65536
/* sendmmsg entries per system call. */
#define SEND_ENTRIES 64
/* The per-message fields of the meta arrays (see udpSend and the receive callback). */
#define SEND_FIELDS 3
#define RECV_FIELDS 6

typedef struct {
  napi_env env;
  int fd;
  int family; /* AF_INET or AF_INET6 */
  int gso;    /* UDP_SEGMENT works (cleared when the kernel refuses it) */
  int gro;
  uv_poll_t poll;
  int poll_events;
  int owns_fd;      /* udpClose closes fd (an adopted group socket is closed by its group) */
  int closed;       /* udpClose was called */
  int handle_gone;  /* the JavaScript handle was collected */
  int uv_closed;    /* uv_close finished (or the poll never started) */
  int hooked;       /* its environment cleanup hook is registered */
  napi_async_context async;
  napi_ref on_recv, on_writable, on_error, recv_buf, recv_meta, state;
  unsigned char *buf; /* RECV_MESSAGES * RECV_SLOT bytes, the JavaScript Uint8Array's */
  int32_t *meta;      /* RECV_MESSAGES * RECV_FIELDS */
  int32_t *st;        /* state[0]: errno of the failed send, state[1]: its datagrams sent */
  struct sockaddr_storage last_from;
  socklen_t last_from_len;
} udp_t;

static void throw_errno(napi_env env, int err, const char *what) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  const char *code = NULL;
  switch (err) {
    case EADDRINUSE: code = "EADDRINUSE"; break;
    case EADDRNOTAVAIL: code = "EADDRNOTAVAIL"; break;
    case EACCES: code = "EACCES"; break;
    case EINVAL: code = "EINVAL"; break;
    case EAFNOSUPPORT: code = "EAFNOSUPPORT"; break;
    default: break;
  }
  napi_throw_error(env, code, msg);
}

static int get_string(napi_env env, napi_value v, char *out, size_t cap) {
  size_t n;
  if (napi_get_value_string_utf8(env, v, out, cap, &n) != napi_ok || n + 1 >= cap) {
    napi_throw_type_error(env, NULL, "expected an address string");
    return 0;
  }
  return 1;
}

/* host:port as a socket address of the socket's family (IPv4 on an IPv6 socket: v4-mapped). */
static int make_addr(int family, const char *host, uint32_t port, struct sockaddr_storage *ss,
                     socklen_t *len) {
  memset(ss, 0, sizeof *ss);
  if (family == AF_INET) {
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1) return 0;
    *len = sizeof *a;
    return 1;
  }
  struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
  a->sin6_family = AF_INET6;
  a->sin6_port = htons((uint16_t)port);
  if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1) {
    struct in_addr v4;
    if (inet_pton(AF_INET, host, &v4) != 1) return 0;
    a->sin6_addr.s6_addr[10] = 0xff;
    a->sin6_addr.s6_addr[11] = 0xff;
    memcpy(&a->sin6_addr.s6_addr[12], &v4, 4);
  }
  *len = sizeof *a;
  return 1;
}

/* The address text and port of a socket address, as node:dgram reports them. */
static void addr_text(const struct sockaddr_storage *ss, char *out, size_t cap, uint32_t *port) {
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
    inet_ntop(AF_INET, &a->sin_addr, out, (socklen_t)cap);
    *port = ntohs(a->sin_port);
  } else {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
    inet_ntop(AF_INET6, &a->sin6_addr, out, (socklen_t)cap);
    *port = ntohs(a->sin6_port);
  }
}

static void free_udp(udp_t *s) {
  free(s);
}

static void on_uv_closed(uv_handle_t *h) {
  udp_t *s = (udp_t *)h->data;
  s->uv_closed = 1;
  if (s->handle_gone) free_udp(s);
}

static void udp_env_cleanup(void *arg);

/* Stops polling, closes the socket and lets go of the JavaScript values. Idempotent. */
static void udp_shutdown(udp_t *s) {
  if (s->closed) return;
  s->closed = 1;
  napi_env env = s->env;
  if (s->hooked) napi_remove_env_cleanup_hook(env, udp_env_cleanup, s);
  s->hooked = 0;
  uv_poll_stop(&s->poll);
  if (s->owns_fd) close(s->fd);
  s->fd = -1;
  napi_ref *refs[] = {&s->on_recv, &s->on_writable, &s->on_error,
                      &s->recv_buf, &s->recv_meta, &s->state};
  for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++) {
    if (*refs[i] != NULL) napi_delete_reference(env, *refs[i]);
    *refs[i] = NULL;
  }
  s->buf = NULL;
  s->meta = NULL;
  s->st = NULL;
  if (s->async != NULL) napi_async_destroy(env, s->async);
  s->async = NULL;
  uv_close((uv_handle_t *)&s->poll, on_uv_closed);
}

/*
 * The environment is going away (a worker thread terminated, or the process exiting) with the
 * socket still open: shut it down now, while its event loop still runs and its references are
 * valid. Left to the finalizer, the shutdown would delete references and close the poll handle
 * after the environment had torn them down.
 */
static void udp_env_cleanup(void *arg) {
  udp_t *s = (udp_t *)arg;
  s->hooked = 0; /* Node removes a hook as it runs it */
  udp_shutdown(s);
}

static void udp_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  udp_t *s = (udp_t *)data;
  s->handle_gone = 1;
  /* Collected without udpClose: the process is going away or the owner leaked it. */
  if (!s->closed) udp_shutdown(s);
  else if (s->uv_closed) free_udp(s);
}

/* Calls a stored JavaScript function with the global object as receiver. */
static void call_js(udp_t *s, napi_ref fn_ref, size_t argc, napi_value *argv) {
  napi_env env = s->env;
  napi_value fn, global, result;
  if (fn_ref == NULL || napi_get_reference_value(env, fn_ref, &fn) != napi_ok || fn == NULL) return;
  napi_get_global(env, &global);
  if (napi_make_callback(env, s->async, global, fn, argc, argv, &result) == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
  }
}

static void report_errno(udp_t *s, int err) {
  napi_value code;
  napi_create_int32(s->env, err, &code);
  call_js(s, s->on_error, 1, &code);
}

static int read_batch(udp_t *s) {
  struct mmsghdr msgs[RECV_MESSAGES];
  struct iovec iov[RECV_MESSAGES];
  struct sockaddr_storage from[RECV_MESSAGES];
  union {
    char buf[CMSG_SPACE(sizeof(int)) * 4];
    struct cmsghdr align;
  } ctrl[RECV_MESSAGES];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < RECV_MESSAGES; i++) {
    iov[i].iov_base = s->buf + (size_t)i * RECV_SLOT;
    iov[i].iov_len = RECV_SLOT;
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &from[i];
    msgs[i].msg_hdr.msg_namelen = sizeof from[i];
    msgs[i].msg_hdr.msg_control = ctrl[i].buf;
    msgs[i].msg_hdr.msg_controllen = sizeof ctrl[i].buf;
  }
  int n = recvmmsg(s->fd, msgs, RECV_MESSAGES, MSG_DONTWAIT, NULL);
  if (n < 0) {
    int err = errno;
    if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR) return 0;
    /* A connected socket's ICMP error (ECONNREFUSED ...): reported once, reading goes on. */
    report_errno(s, err);
    return s->closed ? 0 : 1;
  }
  napi_env env = s->env;
  napi_value hosts = NULL;
  for (int i = 0; i < n; i++) {
    struct msghdr *h = &msgs[i].msg_hdr;
    int32_t *m = s->meta + (size_t)i * RECV_FIELDS;
    int seg = 0, tos = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR(h, c)) {
      if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
        memcpy(&seg, CMSG_DATA(c), sizeof seg);
      } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS) {
        tos = *(unsigned char *)CMSG_DATA(c);
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS) {
        memcpy(&tos, CMSG_DATA(c), sizeof tos);
      }
    }
    uint32_t port;
    char text[INET6_ADDRSTRLEN];
    int changed = h->msg_namelen != s->last_from_len ||
                  memcmp(&from[i], &s->last_from, h->msg_namelen) != 0;
    if (changed) {
      memcpy(&s->last_from, &from[i], h->msg_namelen);
      s->last_from_len = h->msg_namelen;
    }
    addr_text(&from[i], text, sizeof text, &port);
    if (changed) {
      napi_value str;
      if (hosts == NULL) napi_create_array_with_length(env, (size_t)n, &hosts);
      napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &str);
      napi_set_element(env, hosts, (uint32_t)i, str);
    }
    uint32_t len = msgs[i].msg_len;
    m[0] = (int32_t)((size_t)i * RECV_SLOT);
    m[1] = (int32_t)len;
    /* A GRO message of one datagram reports its own length (or none). */
    m[2] = seg > 0 && (uint32_t)seg < len ? seg : (int32_t)len;
    m[3] = tos & 3;
    m[4] = (int32_t)port;
    m[5] = (h->msg_flags & MSG_TRUNC) ? 1 : 0;
  }
  napi_value argv[2];
  napi_create_int32(env, n, &argv[0]);
  if (hosts == NULL) napi_get_undefined(env, &argv[1]);
  else argv[1] = hosts;
  call_js(s, s->on_recv, 2, argv);
  return n == RECV_MESSAGES && !s->closed;
}

static void on_poll(uv_poll_t *handle, int status, int events) {
  udp_t *s = (udp_t *)handle->data;
  if (s->closed) return;
  napi_handle_scope scope;
  napi_open_handle_scope(s->env, &scope);
  if (status < 0) {
    /* libuv stops a poll handle on POLLERR (a connected socket's ICMP error): take the error
     * (reading SO_ERROR clears it), report it as dgram would (ECONNREFUSED ...), poll again. */
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) report_errno(s, err);
    if (!s->closed) uv_poll_start(&s->poll, s->poll_events, on_poll);
  } else {
    if ((events & UV_WRITABLE) && !s->closed) {
      s->poll_events = UV_READABLE;
      uv_poll_start(&s->poll, s->poll_events, on_poll);
      call_js(s, s->on_writable, 0, NULL);
    }
    if ((events & UV_READABLE) && !s->closed) {
      for (int round = 0; round < RECV_ROUNDS && !s->closed; round++) {
        napi_handle_scope inner;
        napi_open_handle_scope(s->env, &inner);
        int more = read_batch(s);
        napi_close_handle_scope(s->env, inner);
        if (!more) break;
      }
    }
  }
  napi_close_handle_scope(s->env, scope);
}

static int get_udp(napi_env env, napi_value v, udp_t **out) {
  if (napi_get_value_external(env, v, (void **)out) != napi_ok || *out == NULL) {
    napi_throw_type_error(env, NULL, "expected a tsquic UDP handle");
    return 0;
  }
  if ((*out)->closed) {
    napi_throw_error(env, "ERR_SOCKET_DGRAM_NOT_RUNNING", "the socket is closed");
    return 0;
  }
  return 1;
}

static int typed(napi_env env, napi_value v, napi_typedarray_type want, void **data,
                 size_t *len) {
  return typed_arg(env, v, want, "bad typed array argument", data, len);
}

static void set_int_opt(int fd, int level, int name, int value) {
  setsockopt(fd, level, name, &value, sizeof value);
}

/*
 * A socket of `family` bound to host:port with the options every tsquic socket has (kernel
 * buffers, ECN reception, PMTU discovery left to QUIC); with `reuseport`, SO_REUSEPORT first so
 * that other sockets can join its port (a steered group). -1 with an exception thrown.
 */
static int open_bound(napi_env env, int family, const char *host, uint32_t port, uint32_t rcv,
                      uint32_t snd, bool v6only, int reuseport) {
  struct sockaddr_storage ss;
  socklen_t ss_len;
  if (!make_addr(family, host, port, &ss, &ss_len)) {
    napi_throw_type_error(env, "EINVAL", "udpOpen: not an address literal of the family");
    return -1;
  }
  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw_errno(env, errno, "socket");
    return -1;
  }
  if (reuseport) set_int_opt(fd, SOL_SOCKET, SO_REUSEPORT, 1);
  set_int_opt(fd, SOL_SOCKET, SO_RCVBUF, (int)rcv);
  set_int_opt(fd, SOL_SOCKET, SO_SNDBUF, (int)snd);
  /* ECN of received datagrams, and PMTU discovery left to QUIC (DF set, no local fragments). */
  set_int_opt(fd, IPPROTO_IP, IP_RECVTOS, 1);
  set_int_opt(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_PROBE);
  if (family == AF_INET6) {
    set_int_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY, v6only ? 1 : 0);
    set_int_opt(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, 1);
    set_int_opt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_PROBE);
  }
  if (bind(fd, (struct sockaddr *)&ss, ss_len) != 0) {
    int err = errno;
    close(fd);
    throw_errno(env, err, "bind");
    return -1;
  }
  return fd;
}

/*
 * udpOpen(family 4|6, host, port, recvBufferSize, sendBufferSize, ipv6Only,
 *         recvBuffer: Uint8Array, recvMeta: Int32Array, state: Int32Array,
 *         onRecv(count, hosts?), onWritable(), onError(errno), fd?)
 *   -> [handle, localAddress, localPort, gso, gro]
 * With `fd` (a socket of udpReusePortGroup, possibly opened by another thread of the process)
 * the socket is adopted, not created: udpClose stops reading it and udpGroupClose closes it.
 */
static napi_value udp_open(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value argv[13];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 12) {
    napi_throw_type_error(env, NULL, "udpOpen needs 12 arguments");
    return NULL;
  }
  uint32_t fam, port, rcv, snd;
  bool v6only;
  char host[INET6_ADDRSTRLEN + 1];
  void *buf, *meta, *state;
  size_t buf_len, meta_len, state_len;
  if (napi_get_value_uint32(env, argv[0], &fam) != napi_ok || !get_string(env, argv[1], host, sizeof host) ||
      napi_get_value_uint32(env, argv[2], &port) != napi_ok ||
      napi_get_value_uint32(env, argv[3], &rcv) != napi_ok ||
      napi_get_value_uint32(env, argv[4], &snd) != napi_ok ||
      napi_get_value_bool(env, argv[5], &v6only) != napi_ok ||
      !typed(env, argv[6], napi_uint8_array, &buf, &buf_len) ||
      !typed(env, argv[7], napi_int32_array, &meta, &meta_len) ||
      !typed(env, argv[8], napi_int32_array, &state, &state_len)) {
    return NULL;
  }
  if (buf_len < (size_t)RECV_MESSAGES * RECV_SLOT || meta_len < RECV_MESSAGES * RECV_FIELDS ||
      state_len < 2 || port > 65535) {
    napi_throw_range_error(env, NULL, "udpOpen: buffers too small or port out of range");
    return NULL;
  }
  int family = fam == 6 ? AF_INET6 : AF_INET;
  int32_t adopt = -1;
  if (argc > 12) {
    napi_valuetype t;
    napi_typeof(env, argv[12], &t);
    if (t != napi_undefined && napi_get_value_int32(env, argv[12], &adopt) != napi_ok) {
      napi_throw_type_error(env, NULL, "udpOpen: fd must be a number");
      return NULL;
    }
  }
  int fd = adopt;
  if (fd < 0) {
    fd = open_bound(env, family, host, port, rcv, snd, v6only, 0);
    if (fd < 0) return NULL;
  }
  int one = 1, gso_size = 0;
  socklen_t optlen = sizeof gso_size;
  int gro = setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof one) == 0;
  /* The kernel knows UDP_SEGMENT when it can report the socket's (zero) segment size. */
  int gso = getsockopt(fd, SOL_UDP, UDP_SEGMENT, &gso_size, &optlen) == 0;
  /* Test knobs: the paths without offload run on demand (test/node/native-udp.test.ts). */
  if (getenv("TSQUIC_NO_GSO") != NULL) gso = 0;
  if (getenv("TSQUIC_NO_GRO") != NULL && gro) {
    int zero = 0;
    setsockopt(fd, SOL_UDP, UDP_GRO, &zero, sizeof zero);
    gro = 0;
  }
  struct sockaddr_storage local;
  socklen_t local_len = sizeof local;
  getsockname(fd, (struct sockaddr *)&local, &local_len);

  udp_t *s = (udp_t *)calloc(1, sizeof *s);
  if (s == NULL) {
    if (adopt < 0) close(fd);
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  s->env = env;
  s->fd = fd;
  s->owns_fd = adopt < 0;
  s->family = family;
  s->gso = gso;
  s->gro = gro;
  s->buf = (unsigned char *)buf;
  s->meta = (int32_t *)meta;
  s->st = (int32_t *)state;
  napi_create_reference(env, argv[6], 1, &s->recv_buf);
  napi_create_reference(env, argv[7], 1, &s->recv_meta);
  napi_create_reference(env, argv[8], 1, &s->state);
  napi_create_reference(env, argv[9], 1, &s->on_recv);
  napi_create_reference(env, argv[10], 1, &s->on_writable);
  napi_create_reference(env, argv[11], 1, &s->on_error);
  napi_value name;
  napi_create_string_utf8(env, "tsquic:udp", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &s->async);
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  if (uv_poll_init_socket(loop, &s->poll, fd) != 0) {
    if (adopt < 0) close(fd);
    free(s);
    napi_throw_error(env, NULL, "uv_poll_init failed");
    return NULL;
  }
  s->poll.data = s;
  s->poll_events = UV_READABLE;
  uv_poll_start(&s->poll, s->poll_events, on_poll);
  napi_add_env_cleanup_hook(env, udp_env_cleanup, s);
  s->hooked = 1;

  napi_value result, handle, v;
  napi_create_array_with_length(env, 5, &result);
  napi_create_external(env, s, udp_finalize, NULL, &handle);
  napi_set_element(env, result, 0, handle);
  char text[INET6_ADDRSTRLEN];
  uint32_t local_port;
  addr_text(&local, text, sizeof text, &local_port);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &v);
  napi_set_element(env, result, 1, v);
  napi_create_uint32(env, local_port, &v);
  napi_set_element(env, result, 2, v);
  napi_get_boolean(env, gso, &v);
  napi_set_element(env, result, 3, v);
  napi_get_boolean(env, gro, &v);
  napi_set_element(env, result, 4, v);
  return result;
}

/* One sendmmsg entry: a whole GSO message, or one datagram of a message. */
typedef struct {
  uint32_t msg;   /* the message it belongs to */
  uint32_t first; /* its first datagram within the message */
  uint32_t count; /* datagrams it carries */
} entry_t;

/*
 * udpSend(handle, bufs: Uint8Array[], meta: Int32Array, hosts: string[], count) -> sent
 * Message i is bufs[i] to hosts[i]:meta[3i], cut into datagrams of meta[3i+1] bytes (the last
 * may be shorter), marked with the ECN codepoint meta[3i+2]. Returns the messages sent whole;
 * when that is less than count, state[0] is the errno of message `sent` and state[1] the
 * datagrams of it that did leave before the error.
 */
static napi_value udp_send(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  udp_t *s;
  int32_t *meta;
  size_t meta_len;
  uint32_t count;
  bool is_array;
  if (argc < 5 || !get_udp(env, argv[0], &s) ||
      !typed(env, argv[2], napi_int32_array, (void **)&meta, &meta_len) ||
      napi_get_value_uint32(env, argv[4], &count) != napi_ok ||
      napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array ||
      napi_is_array(env, argv[3], &is_array) != napi_ok || !is_array) {
    if (!s || s->closed) return NULL;
    napi_throw_type_error(env, NULL, "udpSend(handle, bufs[], meta, hosts[], count)");
    return NULL;
  }
  if ((size_t)count * SEND_FIELDS > meta_len) {
    napi_throw_range_error(env, NULL, "count exceeds the meta given");
    return NULL;
  }
  struct mmsghdr msgs[SEND_ENTRIES];
  struct iovec iov[SEND_ENTRIES];
  entry_t ent[SEND_ENTRIES];
  struct sockaddr_storage dests[SEND_ENTRIES];
  union {
    char buf[CMSG_SPACE(sizeof(uint16_t)) + CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } ctrl[SEND_ENTRIES];
  struct sockaddr_storage dest;
  socklen_t dest_len = 0;
  char host[INET6_ADDRSTRLEN + 1], last_host[INET6_ADDRSTRLEN + 1] = "";
  uint32_t last_port = UINT32_MAX;
  s->st[0] = 0;
  s->st[1] = 0;

  uint32_t msg = 0, first = 0; /* the next datagram to put in an entry */
  while (msg < count) {
    int n = 0;
    /* Entries: per message one GSO entry, or one entry per datagram without GSO. */
    while (msg < count && n < SEND_ENTRIES) {
      napi_value bv, hv;
      unsigned char *data;
      size_t len;
      napi_get_element(env, argv[1], msg, &bv);
      if (!typed(env, bv, napi_uint8_array, (void **)&data, &len)) return NULL;
      int32_t *m = meta + (size_t)msg * SEND_FIELDS;
      uint32_t port = (uint32_t)m[0], seg = (uint32_t)m[1], ecn = (uint32_t)m[2] & 3;
      if (seg == 0 || seg > len) seg = (uint32_t)len;
      if (first == 0) {
        napi_get_element(env, argv[3], msg, &hv);
        if (!get_string(env, hv, host, sizeof host)) return NULL;
        if (port != last_port || strcmp(host, last_host) != 0) {
          if (port > 65535 || !make_addr(s->family, host, port, &dest, &dest_len)) {
            napi_throw_type_error(env, "EINVAL", "udpSend: bad destination address");
            return NULL;
          }
          memcpy(last_host, host, sizeof host);
          last_port = port;
        }
      }
      uint32_t total = len == 0 ? 1 : (uint32_t)((len + seg - 1) / seg);
      uint32_t take = s->gso ? total - first : 1;
      size_t off = (size_t)first * seg;
      size_t bytes = first + take == total ? len - off : (size_t)take * seg;
      struct msghdr *h = &msgs[n].msg_hdr;
      memset(h, 0, sizeof *h);
      iov[n].iov_base = data + off;
      iov[n].iov_len = bytes;
      h->msg_iov = &iov[n];
      h->msg_iovlen = 1;
      dests[n] = dest;
      h->msg_name = &dests[n];
      h->msg_namelen = dest_len;
      ent[n].msg = msg;
      ent[n].first = first;
      ent[n].count = take;
      size_t clen = 0;
      h->msg_control = ctrl[n].buf;
      h->msg_controllen = sizeof ctrl[n].buf;
      struct cmsghdr *c = CMSG_FIRSTHDR(h);
      if (take > 1) {
        c->cmsg_level = SOL_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        uint16_t gs = (uint16_t)seg;
        memcpy(CMSG_DATA(c), &gs, sizeof gs);
        clen += CMSG_SPACE(sizeof(uint16_t));
        c = (struct cmsghdr *)(ctrl[n].buf + clen);
      }
      if (ecn != 0) {
        /* RFC 9000 §13.4.1: the codepoint in the IP header; an IPv4 peer of a dual-stack
         * socket takes IP_TOS. */
        int tos = (int)ecn;
        int v4 = s->family == AF_INET ||
                 IN6_IS_ADDR_V4MAPPED(&((struct sockaddr_in6 *)&dest)->sin6_addr);
        c->cmsg_level = v4 ? IPPROTO_IP : IPPROTO_IPV6;
        c->cmsg_type = v4 ? IP_TOS : IPV6_TCLASS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &tos, sizeof tos);
        clen += CMSG_SPACE(sizeof(int));
      }
      h->msg_controllen = clen;
      if (clen == 0) h->msg_control = NULL;
      n++;
      first += take;
      if (first >= total) {
        msg++;
        first = 0;
      }
    }
    /* Send the entries; stop at the first error. */
    int sent = 0;
    while (sent < n) {
      int r = sendmmsg(s->fd, msgs + sent, (unsigned)(n - sent), 0);
      if (r >= 0) {
        sent += r;
        continue;
      }
      int err = errno;
      if (err == EINTR) continue;
      entry_t *e = &ent[sent];
      if (err == EIO && e->count > 1 && s->gso) {
        /* The device refuses GSO: from now on one datagram per entry, from this one on. */
        s->gso = 0;
        msg = e->msg;
        first = e->first;
        last_port = UINT32_MAX; /* a GSO entry starts its message: its host is read again */
        break;
      }
      s->st[0] = err;
      s->st[1] = (int32_t)e->first;
      napi_value out;
      napi_create_uint32(env, e->msg, &out);
      return out;
    }
  }
  napi_value out;
  napi_create_uint32(env, count, &out);
  return out;
}

/* udpWantWritable(handle): call onWritable once the socket has room again. */
static napi_value udp_want_writable(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  udp_t *s;
  if (argc < 1 || !get_udp(env, argv[0], &s)) return NULL;
  if (!(s->poll_events & UV_WRITABLE)) {
    s->poll_events |= UV_WRITABLE;
    uv_poll_start(&s->poll, s->poll_events, on_poll);
  }
  return NULL;
}

/* udpConnect(handle, host, port): only this peer from now on; ICMP errors reach the socket. */
static napi_value udp_connect(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  udp_t *s;
  char host[INET6_ADDRSTRLEN + 1];
  uint32_t port;
  if (argc < 3 || !get_udp(env, argv[0], &s) || !get_string(env, argv[1], host, sizeof host) ||
      napi_get_value_uint32(env, argv[2], &port) != napi_ok) {
    return NULL;
  }
  struct sockaddr_storage ss;
  socklen_t len;
  if (port > 65535 || !make_addr(s->family, host, port, &ss, &len)) {
    napi_throw_type_error(env, "EINVAL", "udpConnect: bad address");
    return NULL;
  }
  if (connect(s->fd, (struct sockaddr *)&ss, len) != 0) {
    throw_errno(env, errno, "connect");
    return NULL;
  }
  return NULL;
}

/*
 * udpDisconnect(handle): any peer again (connect(2) to AF_UNSPEC), for a client that moves to a
 * server's preferred address (RFC 9000 §9.6).
 */
static napi_value udp_disconnect(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  udp_t *s;
  if (argc < 1 || !get_udp(env, argv[0], &s)) return NULL;
  struct sockaddr unspec;
  memset(&unspec, 0, sizeof unspec);
  unspec.sa_family = AF_UNSPEC;
  if (connect(s->fd, &unspec, sizeof unspec) != 0) {
    throw_errno(env, errno, "connect");
    return NULL;
  }
  return NULL;
}

/* udpRef(handle, ref: boolean): whether the socket keeps the event loop alive. */
static napi_value udp_ref(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  udp_t *s;
  bool ref;
  if (argc < 2 || !get_udp(env, argv[0], &s) || napi_get_value_bool(env, argv[1], &ref) != napi_ok) {
    return NULL;
  }
  if (ref) uv_ref((uv_handle_t *)&s->poll);
  else uv_unref((uv_handle_t *)&s->poll);
  return NULL;
}

/* udpClose(handle): idempotent. */
static napi_value udp_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  udp_t *s;
  if (argc < 1 || napi_get_value_external(env, argv[0], (void **)&s) != napi_ok || s == NULL) {
    napi_throw_type_error(env, NULL, "expected a tsquic UDP handle");
    return NULL;
  }
  udp_shutdown(s);
  return NULL;
}

/* udpErrorName(errno) -> 'ECONNREFUSED', ... (the code node:dgram would give). */
static napi_value udp_error_name(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t err = 0;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &err) != napi_ok) return NULL;
  napi_create_string_utf8(env, uv_err_name(-err), NAPI_AUTO_LENGTH, &out);
  return out;
}

/*
 * udpReusePortGroup(family 4|6, host, port, count, recvBufferSize, sendBufferSize, ipv6Only)
 *   -> [fds[], localAddress, localPort]
 * `count` sockets bound to one port with SO_REUSEPORT, in order: the kernel numbers the sockets
 * of a reuseport group in the order they join it, and a steering program (udpSteer) returns
 * those numbers. Each worker thread adopts one (udpOpen's fd).
 */
static napi_value udp_reuseport_group(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint32_t fam, port, count, rcv, snd;
  bool v6only;
  char host[INET6_ADDRSTRLEN + 1];
  if (argc < 7 || napi_get_value_uint32(env, argv[0], &fam) != napi_ok ||
      !get_string(env, argv[1], host, sizeof host) ||
      napi_get_value_uint32(env, argv[2], &port) != napi_ok ||
      napi_get_value_uint32(env, argv[3], &count) != napi_ok ||
      napi_get_value_uint32(env, argv[4], &rcv) != napi_ok ||
      napi_get_value_uint32(env, argv[5], &snd) != napi_ok ||
      napi_get_value_bool(env, argv[6], &v6only) != napi_ok) {
    napi_throw_type_error(env, NULL, "udpReusePortGroup(family, host, port, count, rcv, snd, v6only)");
    return NULL;
  }
  if (count < 1 || count > 1024 || port > 65535) {
    napi_throw_range_error(env, NULL, "udpReusePortGroup: count 1..1024, port 0..65535");
    return NULL;
  }
  int family = fam == 6 ? AF_INET6 : AF_INET;
  napi_value fds, result, v;
  napi_create_array_with_length(env, count, &fds);
  int opened[1024];
  struct sockaddr_storage local;
  socklen_t local_len = sizeof local;
  for (uint32_t i = 0; i < count; i++) {
    opened[i] = open_bound(env, family, host, port, rcv, snd, v6only, 1);
    if (opened[i] < 0) {
      for (uint32_t k = 0; k < i; k++) close(opened[k]);
      return NULL;
    }
    if (i == 0) {
      /* The others join the port the first one got (port 0: any free port). */
      getsockname(opened[0], (struct sockaddr *)&local, &local_len);
      char text[INET6_ADDRSTRLEN];
      addr_text(&local, text, sizeof text, &port);
    }
    napi_create_int32(env, opened[i], &v);
    napi_set_element(env, fds, i, v);
  }
  char text[INET6_ADDRSTRLEN];
  uint32_t local_port;
  addr_text(&local, text, sizeof text, &local_port);
  napi_create_array_with_length(env, 3, &result);
  napi_set_element(env, result, 0, fds);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &v);
  napi_set_element(env, result, 1, v);
  napi_create_uint32(env, local_port, &v);
  napi_set_element(env, result, 2, v);
  return result;
}

/*
 * udpSteer(fd, program: Uint8Array) attaches a classic BPF program (struct sock_filter, 8 bytes
 * each) to the reuseport group of `fd` (SO_ATTACH_REUSEPORT_CBPF), replacing the one before.
 * For UDP it runs on the payload; its result is the number of the group's socket that gets the
 * datagram, and a number past the group lets the kernel pick by its 4-tuple hash.
 */
static napi_value udp_steer(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  void *prog;
  size_t len;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      !typed(env, argv[1], napi_uint8_array, &prog, &len)) {
    return NULL;
  }
  if (len == 0 || len % sizeof(struct sock_filter) != 0 ||
      len / sizeof(struct sock_filter) > BPF_MAXINSNS) {
    napi_throw_range_error(env, NULL, "udpSteer: not a whole classic BPF program");
    return NULL;
  }
  struct sock_fprog fprog;
  fprog.len = (unsigned short)(len / sizeof(struct sock_filter));
  fprog.filter = (struct sock_filter *)prog;
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &fprog, sizeof fprog) != 0) {
    throw_errno(env, errno, "SO_ATTACH_REUSEPORT_CBPF");
    return NULL;
  }
  return NULL;
}

/* udpGroupClose(fd): closes a socket of udpReusePortGroup (it leaves the group). */
static napi_value udp_group_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "udpGroupClose(fd)");
    return NULL;
  }
  close(fd);
  return NULL;
}

void tsquic_udp_register(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"udpOpen", NULL, udp_open, NULL, NULL, NULL, napi_default, NULL},
      {"udpSend", NULL, udp_send, NULL, NULL, NULL, napi_default, NULL},
      {"udpWantWritable", NULL, udp_want_writable, NULL, NULL, NULL, napi_default, NULL},
      {"udpConnect", NULL, udp_connect, NULL, NULL, NULL, napi_default, NULL},
      {"udpDisconnect", NULL, udp_disconnect, NULL, NULL, NULL, napi_default, NULL},
      {"udpRef", NULL, udp_ref, NULL, NULL, NULL, napi_default, NULL},
      {"udpClose", NULL, udp_close, NULL, NULL, NULL, napi_default, NULL},
      {"udpErrorName", NULL, udp_error_name, NULL, NULL, NULL, napi_default, NULL},
      {"udpReusePortGroup", NULL, udp_reuseport_group, NULL, NULL, NULL, napi_default, NULL},
      {"udpSteer", NULL, udp_steer, NULL, NULL, NULL, napi_default, NULL},
      {"udpGroupClose", NULL, udp_group_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  napi_value n;
  napi_create_uint32(env, RECV_MESSAGES, &n);
  napi_set_named_property(env, exports, "udpRecvMessages", n);
  napi_create_uint32(env, RECV_SLOT, &n);
  napi_set_named_property(env, exports, "udpRecvSlot", n);
}
