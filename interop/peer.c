/* One side of an interoperability scenario.
 *
 *   peer <role> <socket-type> <bind|connect> <endpoint[,endpoint...]> [options...]
 *   peer probe tcp|ipc
 *
 * The same binary runs on this library or on the real libzmq, chosen by
 * LD_LIBRARY_PATH, so every exchange below is played with either library on
 * either side.  The role scripts the exchange; both sides derive the expected
 * contents from the same rules, so each side checks what it receives.
 *
 * Output (stdout, line by line, flushed):
 *   ENDPOINT <endpoint>   for each bound endpoint (ZMQ_LAST_ENDPOINT)
 *   READY                 once bound/connected
 *   EVENT <NAME> <value> <address>   monitor events, with --monitor
 *   other lines describe what was sent and received; the last one is
 *   DONE, or FAIL <reason> / TIMEOUT <what>.
 * Some roles read lines from stdin: a line lets a paused role continue, and
 * end of input stops the endless roles (echo-server, pub, xpub).
 *
 * Exit status: 0 success, 1 mismatch, 2 timeout, 3 usage or setup error,
 * 77 (probe only) the transport is not supported by the library.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "event_names.h"

enum { EXIT_MISMATCH = 1, EXIT_TIMEOUT = 2, EXIT_SETUP = 3, EXIT_UNSUPPORTED = 77 };

/* ---------------------------------------------------------------- options */

static struct {
    const char *role;
    const char *type_name;
    int type;
    int bind;
    char *endpoints;
    const char *id;         /* ZMQ_ROUTING_ID */
    const char *name;       /* tag carried in messages */
    const char *tag;        /* publisher generation tag */
    const char *expect_ids; /* comma list */
    int generated_ids;
    int count;
    int peers;
    int big;
    int envelope;
    int timeout_ms;
    int max_time_s;
    int ipv6;
    int hb_ivl, hb_timeout, hb_ttl;
    int monitor;
    int64_t maxmsgsize;
    int idle_ms;
    int pause_after;
    int linger;
    int close_first;
    int size;
    int reconnect;
    /* security */
    const char *curve_server;    /* our secret key: a CURVE server */
    const char *curve_serverkey; /* the server's public key: a CURVE client */
    const char *curve_public, *curve_secret;
    int plain_server;
    const char *plain_user, *plain_pass;
    const char *zap_domain;
    const char *zap_allow; /* "plain:USER:PASS", "curve=KEY", "null" or "deny" */
    int any_failure;
} opt;

static void *ctx, *sock, *mon, *zap_sock, *zap_thread;
static volatile int zap_stop;

/* ------------------------------------------------------------- utilities */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void out(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

/* Ends the process without zmq_ctx_term: a failed side must not hang. */
static void finish(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs(code == EXIT_TIMEOUT ? "TIMEOUT " : "FAIL ", stdout);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
    _exit(code);
}

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "TIMEOUT whole run (--max-time)\n";
    ssize_t r = write(1, msg, sizeof msg - 1);
    (void)r;
    _exit(EXIT_TIMEOUT);
}

static void check_zmq(int rc, const char *what)
{
    if (rc == -1)
        finish(EXIT_SETUP, "%s: %s (errno %d)", what, zmq_strerror(zmq_errno()), zmq_errno());
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        finish(EXIT_SETUP, "out of memory");
    return p;
}

/* ------------------------------------------------------ multipart messages */

typedef struct {
    size_t len;
    unsigned char *data;
} part_t;

typedef struct {
    size_t n, cap;
    part_t *p;
} mmsg_t;

static void mmsg_free(mmsg_t *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->p[i].data);
    free(m->p);
    memset(m, 0, sizeof *m);
}

static unsigned char *mmsg_add(mmsg_t *m, const void *data, size_t len)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 4;
        part_t *np = realloc(m->p, m->cap * sizeof *np);
        if (!np)
            finish(EXIT_SETUP, "out of memory");
        m->p = np;
    }
    unsigned char *d = xmalloc(len);
    if (data)
        memcpy(d, data, len);
    m->p[m->n].len = len;
    m->p[m->n].data = d;
    m->n++;
    return d;
}

static void mmsg_add_str(mmsg_t *m, const char *s) { mmsg_add(m, s, strlen(s)); }

static void mmsg_prepend(mmsg_t *m, const void *data, size_t len)
{
    mmsg_add(m, data, len);
    part_t last = m->p[m->n - 1];
    memmove(m->p + 1, m->p, (m->n - 1) * sizeof *m->p);
    m->p[0] = last;
}

static int part_is(const part_t *p, const char *s)
{
    return p->len == strlen(s) && memcmp(p->data, s, p->len) == 0;
}

/* A printable summary of a message: sizes and a short escaped prefix. */
static void mmsg_describe(const mmsg_t *m, char *buf, size_t cap)
{
    size_t o = 0;
    o += (size_t)snprintf(buf + o, cap - o, "%zu part%s", m->n, m->n == 1 ? "" : "s");
    for (size_t i = 0; i < m->n && o + 64 < cap; i++) {
        if (i == 8) {
            o += (size_t)snprintf(buf + o, cap - o, " ...");
            break;
        }
        o += (size_t)snprintf(buf + o, cap - o, " [%zu:", m->p[i].len);
        for (size_t j = 0; j < m->p[i].len && j < 24 && o + 8 < cap; j++) {
            unsigned char c = m->p[i].data[j];
            if (c >= 0x20 && c < 0x7f && c != '\\')
                buf[o++] = (char)c;
            else
                o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", c);
        }
        if (m->p[i].len > 24)
            o += (size_t)snprintf(buf + o, cap - o, "...");
        o += (size_t)snprintf(buf + o, cap - o, "]");
    }
}

static void mmsg_print(const char *tag, const mmsg_t *m)
{
    char buf[1024];
    mmsg_describe(m, buf, sizeof buf);
    out("%s %s", tag, buf);
}

/* Sends every part; -1 with errno on failure. */
static int mmsg_send(void *s, const mmsg_t *m)
{
    for (size_t i = 0; i < m->n; i++) {
        int flags = i + 1 < m->n ? ZMQ_SNDMORE : 0;
        if (zmq_send(s, m->p[i].data, m->p[i].len, flags) == -1)
            return -1;
    }
    return 0;
}

static void mmsg_send_or_die(void *s, const mmsg_t *m, const char *what)
{
    if (mmsg_send(s, m) == -1) {
        if (zmq_errno() == EAGAIN)
            finish(EXIT_TIMEOUT, "sending %s", what);
        finish(EXIT_MISMATCH, "sending %s: %s", what, zmq_strerror(zmq_errno()));
    }
}

/* Receives one whole message without blocking: 0, or -1 with EAGAIN. */
static int mmsg_recv_now(void *s, mmsg_t *m)
{
    mmsg_free(m);
    for (;;) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, s, m->n == 0 ? ZMQ_DONTWAIT : 0) == -1) {
            int e = zmq_errno();
            zmq_msg_close(&part);
            if (m->n == 0 && e == EAGAIN)
                return -1;
            finish(EXIT_MISMATCH, "zmq_msg_recv: %s", zmq_strerror(e));
        }
        mmsg_add(m, zmq_msg_data(&part), zmq_msg_size(&part));
        int more = zmq_msg_more(&part);
        zmq_msg_close(&part);
        if (!more)
            return 0;
    }
}

/* ------------------------------------------------------- monitor, stdin */


static int event_count[N_EVENTS];

static int event_index(int id)
{
    for (size_t i = 0; i < N_EVENTS; i++)
        if (event_names[i].id == id)
            return (int)i;
    return -1;
}

static int events_seen(int id)
{
    int i = event_index(id);
    return i < 0 ? 0 : event_count[i];
}

/* Prints (with --monitor) and counts pending monitor events; returns how many. */
static int drain_monitor(void)
{
    if (!mon)
        return 0;
    mmsg_t m = {0};
    int n = 0;
    while (mmsg_recv_now(mon, &m) == 0) {
        n++;
        if (m.n != 2 || m.p[0].len != 6) {
            mmsg_print("EVENT-MALFORMED", &m);
            continue;
        }
        uint16_t id;
        uint32_t value;
        memcpy(&id, m.p[0].data, 2);
        memcpy(&value, m.p[0].data + 2, 4);
        int i = event_index(id);
        if (i >= 0)
            event_count[i]++;
        if (opt.monitor)
            out("EVENT %s %u %.*s", i >= 0 ? event_names[i].name : "UNKNOWN", value,
                (int)m.p[1].len, (const char *)m.p[1].data);
    }
    mmsg_free(&m);
    return n;
}

static char stdin_buf[4096];
static size_t stdin_len;
static int stdin_eof;

static void read_stdin(void)
{
    if (stdin_eof)
        return;
    if (stdin_len == sizeof stdin_buf)
        stdin_len = 0; /* an overlong line is noise: drop it */
    ssize_t r = read(0, stdin_buf + stdin_len, sizeof stdin_buf - stdin_len);
    if (r <= 0)
        stdin_eof = 1;
    else
        stdin_len += (size_t)r;
}

/* Takes one complete line from stdin into line (NUL-terminated), if any. */
static int take_line(char *line, size_t cap)
{
    char *nl = memchr(stdin_buf, '\n', stdin_len);
    if (!nl)
        return 0;
    size_t n = (size_t)(nl - stdin_buf);
    size_t c = n < cap - 1 ? n : cap - 1;
    memcpy(line, stdin_buf, c);
    line[c] = 0;
    memmove(stdin_buf, nl + 1, stdin_len - n - 1);
    stdin_len -= n + 1;
    return 1;
}

enum { W_NONE = 0, W_SOCK = 1, W_STDIN = 2, W_EVENT = 4 };

/* Waits until the socket has input (W_SOCK wanted), stdin has a line or
 * ended (W_STDIN wanted), a monitor event came (W_EVENT wanted), or the
 * deadline passes (returns W_NONE).  Monitor events are drained and printed
 * meanwhile. */
static int wait_for(int want, int64_t deadline)
{
    for (;;) {
        if (drain_monitor() && (want & W_EVENT))
            return W_EVENT;
        if ((want & W_STDIN) && (stdin_eof || memchr(stdin_buf, '\n', stdin_len)))
            return W_STDIN;
        if (want & W_SOCK) {
            int ev = 0;
            size_t sz = sizeof ev;
            check_zmq(zmq_getsockopt(sock, ZMQ_EVENTS, &ev, &sz), "ZMQ_EVENTS");
            if (ev & ZMQ_POLLIN)
                return W_SOCK;
        }
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return W_NONE;
        zmq_pollitem_t items[3];
        int n = 0;
        if (want & W_SOCK)
            items[n++] = (zmq_pollitem_t){sock, 0, ZMQ_POLLIN, 0};
        if (mon)
            items[n++] = (zmq_pollitem_t){mon, 0, ZMQ_POLLIN, 0};
        int stdin_item = -1;
        if ((want & W_STDIN) && !stdin_eof) {
            stdin_item = n;
            items[n++] = (zmq_pollitem_t){NULL, 0, ZMQ_POLLIN, 0};
        }
        int rc = zmq_poll(items, n, left > 1000 ? 1000 : (long)left);
        if (rc == -1 && zmq_errno() != EINTR)
            check_zmq(rc, "zmq_poll");
        if (rc > 0 && stdin_item >= 0 && (items[stdin_item].revents & (ZMQ_POLLIN | ZMQ_POLLERR)))
            read_stdin();
    }
}

/* Receives one whole message before the deadline, or ends the run. */
static void recv_by(mmsg_t *m, int64_t deadline, const char *what)
{
    for (;;) {
        if (wait_for(W_SOCK, deadline) == W_NONE)
            finish(EXIT_TIMEOUT, "waiting for %s", what);
        if (mmsg_recv_now(sock, m) == 0)
            return;
    }
}

static void recv_msg(mmsg_t *m, const char *what)
{
    recv_by(m, now_ms() + opt.timeout_ms, what);
}

/* Waits for one stdin line (or its end) for at most the run's time budget. */
static int wait_line(char *line, size_t cap)
{
    if (wait_for(W_STDIN, now_ms() + (int64_t)opt.max_time_s * 1000) == W_NONE)
        finish(EXIT_TIMEOUT, "waiting for a line on stdin");
    return take_line(line, cap);
}

/* Sleeps while monitor events and stdin keep being processed. */
static void pause_ms(int ms)
{
    int64_t deadline = now_ms() + ms;
    while (now_ms() < deadline)
        wait_for(W_NONE, deadline);
}

/* Until stdin ends ("stop" lines count as the end too). */
static void wait_stdin_end(void)
{
    char line[256];
    for (;;) {
        if (wait_for(W_STDIN, now_ms() + (int64_t)opt.max_time_s * 1000) == W_NONE)
            finish(EXIT_TIMEOUT, "waiting for the end of stdin");
        if (stdin_eof)
            return;
        if (take_line(line, sizeof line) && strcmp(line, "stop") == 0)
            return;
    }
}

/* ----------------------------------------------------------- socket setup */

static const struct {
    const char *name;
    int type;
} socket_types[] = {
    {"PAIR", ZMQ_PAIR},     {"PUB", ZMQ_PUB},   {"SUB", ZMQ_SUB},       {"REQ", ZMQ_REQ},
    {"REP", ZMQ_REP},       {"DEALER", ZMQ_DEALER}, {"ROUTER", ZMQ_ROUTER}, {"PULL", ZMQ_PULL},
    {"PUSH", ZMQ_PUSH},     {"XPUB", ZMQ_XPUB}, {"XSUB", ZMQ_XSUB},     {"STREAM", ZMQ_STREAM},
};

static void set_int(int option, int value, const char *what)
{
    check_zmq(zmq_setsockopt(sock, option, &value, sizeof value), what);
}

/* ------------------------------------------------------------- security */

static int zap_recv_str(char *buf, size_t cap)
{
    int n = zmq_recv(zap_sock, buf, cap - 1, 0);
    if (n < 0)
        return -1;
    buf[(size_t)n < cap - 1 ? (size_t)n : cap - 1] = 0;
    return n;
}

static int zap_more(void)
{
    int more = 0;
    size_t sz = sizeof more;
    zmq_getsockopt(zap_sock, ZMQ_RCVMORE, &more, &sz);
    return more;
}

/* A ZAP handler (RFC 27) answering by --zap-allow; User-Id is the user name
 * (PLAIN) or "curve-client". */
static void zap_handler(void *arg)
{
    (void)arg;
    while (!zap_stop) {
        zmq_pollitem_t item = {zap_sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, 20) <= 0)
            continue;
        char version[16], seq[16], domain[256], address[256], rid[256], mech[16];
        if (zap_recv_str(version, sizeof version) < 0)
            break;
        zap_recv_str(seq, sizeof seq);
        zap_recv_str(domain, sizeof domain);
        zap_recv_str(address, sizeof address);
        zap_recv_str(rid, sizeof rid);
        zap_recv_str(mech, sizeof mech);
        char user[256] = "", cred[600] = "";
        int ok = 0;
        const char *allow = opt.zap_allow;
        if (strcmp(mech, "PLAIN") == 0) {
            char pass[256];
            zap_recv_str(user, sizeof user);
            zap_recv_str(pass, sizeof pass);
            snprintf(cred, sizeof cred, "plain:%s:%s", user, pass);
            ok = strcmp(allow, cred) == 0;
        } else if (strcmp(mech, "CURVE") == 0) {
            unsigned char key[32];
            char text[41] = "";
            if (zmq_recv(zap_sock, key, sizeof key, 0) == 32)
                zmq_z85_encode(text, key, 32);
            snprintf(cred, sizeof cred, "curve=%s", text);
            snprintf(user, sizeof user, "curve-client");
            ok = strcmp(allow, cred) == 0;
        } else
            ok = strcmp(allow, "null") == 0;
        while (zap_more()) {
            char junk[256];
            zmq_recv(zap_sock, junk, sizeof junk, 0);
        }
        out("ZAP %s %s", mech, ok ? "allow" : "deny");
        const char *status = ok ? "200" : "400";
        zmq_send(zap_sock, version, strlen(version), ZMQ_SNDMORE);
        zmq_send(zap_sock, seq, strlen(seq), ZMQ_SNDMORE);
        zmq_send(zap_sock, status, 3, ZMQ_SNDMORE);
        zmq_send(zap_sock, ok ? "OK" : "denied", ok ? 2 : 6, ZMQ_SNDMORE);
        zmq_send(zap_sock, user, strlen(user), ZMQ_SNDMORE);
        zmq_send(zap_sock, "", 0, 0);
    }
}

static void set_str(int option, const char *value, const char *name)
{
    check_zmq(zmq_setsockopt(sock, option, value, strlen(value)), name);
}

/* The security options, and the ZAP handler when asked for one. */
static void setup_security(void)
{
    if (opt.zap_allow) {
        zap_sock = zmq_socket(ctx, ZMQ_REP);
        if (!zap_sock || zmq_bind(zap_sock, "inproc://zeromq.zap.01") == -1)
            finish(EXIT_SETUP, "ZAP handler: %s", zmq_strerror(zmq_errno()));
        zap_thread = zmq_threadstart(zap_handler, NULL);
    }
    if (opt.curve_server) {
        set_int(ZMQ_CURVE_SERVER, 1, "ZMQ_CURVE_SERVER");
        set_str(ZMQ_CURVE_SECRETKEY, opt.curve_server, "ZMQ_CURVE_SECRETKEY");
    }
    if (opt.curve_serverkey) {
        set_str(ZMQ_CURVE_SERVERKEY, opt.curve_serverkey, "ZMQ_CURVE_SERVERKEY");
        set_str(ZMQ_CURVE_PUBLICKEY, opt.curve_public, "ZMQ_CURVE_PUBLICKEY");
        set_str(ZMQ_CURVE_SECRETKEY, opt.curve_secret, "ZMQ_CURVE_SECRETKEY");
    }
    if (opt.plain_server)
        set_int(ZMQ_PLAIN_SERVER, 1, "ZMQ_PLAIN_SERVER");
    if (opt.plain_user) {
        set_str(ZMQ_PLAIN_USERNAME, opt.plain_user, "ZMQ_PLAIN_USERNAME");
        set_str(ZMQ_PLAIN_PASSWORD, opt.plain_pass, "ZMQ_PLAIN_PASSWORD");
    }
    if (opt.zap_domain)
        set_str(ZMQ_ZAP_DOMAIN, opt.zap_domain, "ZMQ_ZAP_DOMAIN");
}

static void stop_zap(void)
{
    if (!zap_sock)
        return;
    zap_stop = 1;
    zmq_threadclose(zap_thread);
    zmq_close(zap_sock);
}

static void setup(void)
{
    ctx = zmq_ctx_new();
    if (!ctx)
        finish(EXIT_SETUP, "zmq_ctx_new: %s", zmq_strerror(zmq_errno()));
    sock = zmq_socket(ctx, opt.type);
    if (!sock)
        finish(EXIT_SETUP, "zmq_socket: %s", zmq_strerror(zmq_errno()));
    set_int(ZMQ_LINGER, opt.linger, "ZMQ_LINGER");
    set_int(ZMQ_SNDTIMEO, opt.timeout_ms, "ZMQ_SNDTIMEO");
    if (opt.ipv6)
        set_int(ZMQ_IPV6, 1, "ZMQ_IPV6");
    if (opt.id)
        check_zmq(zmq_setsockopt(sock, ZMQ_ROUTING_ID, opt.id, strlen(opt.id)), "ZMQ_ROUTING_ID");
    if (opt.hb_ivl)
        set_int(ZMQ_HEARTBEAT_IVL, opt.hb_ivl, "ZMQ_HEARTBEAT_IVL");
    if (opt.hb_timeout)
        set_int(ZMQ_HEARTBEAT_TIMEOUT, opt.hb_timeout, "ZMQ_HEARTBEAT_TIMEOUT");
    if (opt.hb_ttl)
        set_int(ZMQ_HEARTBEAT_TTL, opt.hb_ttl, "ZMQ_HEARTBEAT_TTL");
    if (opt.maxmsgsize)
        check_zmq(zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &opt.maxmsgsize, sizeof opt.maxmsgsize),
                  "ZMQ_MAXMSGSIZE");
    setup_security();
    if (opt.monitor || opt.peers || opt.hb_ivl) {
        char addr[64];
        snprintf(addr, sizeof addr, "inproc://monitor-%ld", (long)getpid());
        check_zmq(zmq_socket_monitor(sock, addr, ZMQ_EVENT_ALL), "zmq_socket_monitor");
        mon = zmq_socket(ctx, ZMQ_PAIR);
        if (!mon)
            finish(EXIT_SETUP, "monitor socket: %s", zmq_strerror(zmq_errno()));
        check_zmq(zmq_connect(mon, addr), "monitor connect");
    }

    char *save = NULL;
    for (char *ep = strtok_r(opt.endpoints, ",", &save); ep; ep = strtok_r(NULL, ",", &save)) {
        if (opt.bind) {
            if (zmq_bind(sock, ep) == -1)
                finish(EXIT_SETUP, "zmq_bind %s: %s", ep, zmq_strerror(zmq_errno()));
            char last[1024];
            size_t sz = sizeof last;
            check_zmq(zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, last, &sz), "ZMQ_LAST_ENDPOINT");
            out("ENDPOINT %s", last);
        } else if (zmq_connect(sock, ep) == -1) {
            finish(EXIT_SETUP, "zmq_connect %s: %s", ep, zmq_strerror(zmq_errno()));
        }
    }
    out("READY");
}

static void teardown(int code)
{
    drain_monitor();
    if (mon) {
        zmq_socket_monitor(sock, NULL, 0);
        zmq_close(mon);
    }
    zmq_close(sock);
    stop_zap();
    zmq_ctx_term(ctx);
    if (code == 0)
        out("DONE");
    exit(code);
}

/* ------------------------------------------------------ the message script */

static unsigned char pattern_byte(size_t msg, size_t part, size_t j)
{
    return (unsigned char)(j * 31 + msg * 7 + part * 13 + (j >> 8));
}

static void add_pattern(mmsg_t *m, size_t msg, size_t len)
{
    unsigned char *d = mmsg_add(m, NULL, len);
    size_t part = m->n - 1;
    for (size_t j = 0; j < len; j++)
        d[j] = pattern_byte(msg, part, j);
}

enum { SCRIPT_LEN = 10, BIG_SIZE = 16 * 1024 * 1024 };

/* Message i of the request script: sizes around the short/long frame limit,
 * empty frames, many parts, and (with --big) one 16 MiB message. */
static int script_len(void) { return SCRIPT_LEN + (opt.big ? 1 : 0); }

static void script_msg(int i, mmsg_t *m)
{
    mmsg_free(m);
    switch (i) {
    case 0:
        mmsg_add_str(m, "hello");
        break;
    case 1:
        mmsg_add_str(m, "");
        break;
    case 2:
        mmsg_add_str(m, "part1");
        mmsg_add_str(m, "");
        mmsg_add_str(m, "part3");
        break;
    case 3:
        mmsg_add_str(m, "");
        mmsg_add_str(m, "");
        break;
    case 4:
        add_pattern(m, (size_t)i, 255);
        break;
    case 5:
        add_pattern(m, (size_t)i, 256);
        break;
    case 6:
        for (size_t k = 0; k < 20; k++)
            add_pattern(m, (size_t)i, k);
        break;
    case 7:
        add_pattern(m, (size_t)i, 70000);
        break;
    case 8:
        mmsg_add_str(m, "x");
        add_pattern(m, (size_t)i, 300);
        mmsg_add_str(m, "");
        break;
    case 9: {
        char s[64];
        snprintf(s, sizeof s, "last from %s", opt.name);
        mmsg_add_str(m, s);
        break;
    }
    default:
        add_pattern(m, (size_t)i, BIG_SIZE);
        break;
    }
}

/* Names the first difference between two messages, or returns 0. */
static int mmsg_diff(const mmsg_t *want, const mmsg_t *got, char *why, size_t cap)
{
    if (want->n != got->n) {
        snprintf(why, cap, "%zu parts instead of %zu", got->n, want->n);
        return 1;
    }
    for (size_t i = 0; i < want->n; i++) {
        if (want->p[i].len != got->p[i].len) {
            snprintf(why, cap, "part %zu has %zu bytes instead of %zu", i, got->p[i].len,
                     want->p[i].len);
            return 1;
        }
        for (size_t j = 0; j < want->p[i].len; j++)
            if (want->p[i].data[j] != got->p[i].data[j]) {
                snprintf(why, cap, "part %zu differs at byte %zu", i, j);
                return 1;
            }
    }
    return 0;
}

/* ------------------------------------------------------------------ roles */

/* Sends the script and checks each echo.  --envelope adds the empty
 * delimiter a DEALER needs towards a REP.  --pause-after N prints PAUSE after
 * N exchanges and waits for a stdin line before going on. */
static int role_client(void)
{
    mmsg_t want = {0}, got = {0};
    char why[256], tag[32];
    for (int i = 0; i < script_len(); i++) {
        if (opt.pause_after && i == opt.pause_after) {
            out("PAUSE");
            char line[256];
            wait_line(line, sizeof line);
        }
        script_msg(i, &want);
        if (opt.envelope)
            mmsg_prepend(&want, "", 0);
        mmsg_send_or_die(sock, &want, "request");
        recv_msg(&got, "reply");
        snprintf(tag, sizeof tag, "RECV %d", i);
        mmsg_print(tag, &got);
        if (mmsg_diff(&want, &got, why, sizeof why))
            finish(EXIT_MISMATCH, "reply %d: %s", i, why);
    }
    mmsg_free(&want);
    mmsg_free(&got);
    return 0;
}

static int id_expected(const part_t *id)
{
    if (!opt.expect_ids)
        return 1;
    const char *s = opt.expect_ids;
    for (;;) {
        const char *c = strchr(s, ',');
        size_t n = c ? (size_t)(c - s) : strlen(s);
        if (n == id->len && memcmp(s, id->data, n) == 0)
            return 1;
        if (!c)
            return 0;
        s = c + 1;
    }
}

/* libzmq names anonymous peers with 5 bytes: a zero, then a 32-bit counter. */
static int id_generated(const part_t *id) { return id->len == 5 && id->data[0] == 0; }

static void check_router_id(const part_t *id)
{
    if (!id_expected(id))
        finish(EXIT_MISMATCH, "unexpected routing id (%zu bytes)", id->len);
    if (opt.generated_ids && !id_generated(id))
        finish(EXIT_MISMATCH, "routing id of %zu bytes is not a generated one", id->len);
}

/* Sends back whatever arrives until stdin ends. */
static int role_echo_server(void)
{
    mmsg_t m = {0};
    int echoed = 0;
    int64_t deadline = now_ms() + (int64_t)opt.max_time_s * 1000;
    for (;;) {
        int w = wait_for(W_SOCK | W_STDIN, deadline);
        if (w == W_NONE)
            finish(EXIT_TIMEOUT, "echo server never told to stop");
        if (w == W_STDIN) {
            char line[256];
            if (stdin_eof || (take_line(line, sizeof line) && strcmp(line, "stop") == 0))
                break;
            continue;
        }
        if (mmsg_recv_now(sock, &m) == -1)
            continue;
        mmsg_print("RECV", &m);
        if (opt.type == ZMQ_ROUTER) {
            if (m.n < 2)
                finish(EXIT_MISMATCH, "ROUTER message without a body");
            check_router_id(&m.p[0]);
        }
        if (mmsg_send(sock, &m) == -1)
            out("SEND-FAILED %s", zmq_strerror(zmq_errno()));
        else
            echoed++;
    }
    out("ECHOED %d", echoed);
    mmsg_free(&m);
    return 0;
}

/* ROUTER: takes one hello from each of --peers dealers, then answers each by
 * its routing id, in the reverse order of arrival. */
static int role_router_server(void)
{
    int n = opt.peers ? opt.peers : 1;
    mmsg_t *hello = calloc((size_t)n, sizeof *hello);
    if (!hello)
        finish(EXIT_SETUP, "out of memory");
    for (int i = 0; i < n; i++) {
        recv_msg(&hello[i], "a hello");
        mmsg_print("RECV", &hello[i]);
        if (hello[i].n != 2)
            finish(EXIT_MISMATCH, "hello should be [id, body]");
        check_router_id(&hello[i].p[0]);
        for (int k = 0; k < i; k++)
            if (hello[k].p[0].len == hello[i].p[0].len &&
                memcmp(hello[k].p[0].data, hello[i].p[0].data, hello[i].p[0].len) == 0)
                finish(EXIT_MISMATCH, "two peers share a routing id");
    }
    for (int i = n - 1; i >= 0; i--) {
        mmsg_t r = {0};
        mmsg_add(&r, hello[i].p[0].data, hello[i].p[0].len);
        unsigned char *d = mmsg_add(&r, NULL, hello[i].p[1].len + 9);
        memcpy(d, "reply to ", 9);
        memcpy(d + 9, hello[i].p[1].data, hello[i].p[1].len);
        mmsg_send_or_die(sock, &r, "reply by routing id");
        mmsg_print("SENT", &r);
        mmsg_free(&r);
        mmsg_free(&hello[i]);
    }
    free(hello);
    return 0;
}

/* DEALER: one hello, one reply that must be meant for this dealer. */
static int role_hello(void)
{
    char body[128], want[160];
    snprintf(body, sizeof body, "hello from %s", opt.name);
    snprintf(want, sizeof want, "reply to %s", body);
    mmsg_t m = {0};
    mmsg_add_str(&m, body);
    mmsg_send_or_die(sock, &m, "hello");
    recv_msg(&m, "the reply");
    mmsg_print("RECV", &m);
    if (m.n != 1 || !part_is(&m.p[0], want))
        finish(EXIT_MISMATCH, "reply is not \"%s\"", want);
    mmsg_free(&m);
    return 0;
}

static const char *const topics[] = {"A", "B", "C", "END"};

static void publish_round(const char *tag, int r)
{
    for (size_t t = 0; t < 4; t++) {
        char s[64];
        int n = snprintf(s, sizeof s, "%s:%s:%d", topics[t], tag, r);
        if (zmq_send(sock, s, (size_t)n, 0) == -1)
            finish(EXIT_MISMATCH, "publishing: %s", zmq_strerror(zmq_errno()));
    }
}

/* PUB (or XPUB used as a plain publisher): a round of topics A, B, C, END
 * every 10 ms until stdin ends. */
static int role_pub(void)
{
    int r = 0;
    int64_t deadline = now_ms() + (int64_t)opt.max_time_s * 1000;
    for (;;) {
        publish_round(opt.tag, ++r);
        int64_t next = now_ms() + 10;
        while (now_ms() < next) {
            if (wait_for(W_STDIN, next) == W_STDIN) {
                char line[256];
                if (stdin_eof || (take_line(line, sizeof line) && strcmp(line, "stop") == 0)) {
                    /* The stream has no end to flush: a connecting publisher
                     * whose subscriber has gone would otherwise linger. */
                    set_int(ZMQ_LINGER, 0, "ZMQ_LINGER");
                    out("PUBLISHED %d rounds", r);
                    return 0;
                }
            }
        }
        if (now_ms() > deadline)
            finish(EXIT_TIMEOUT, "publisher never told to stop");
        if (opt.type == ZMQ_XPUB) {
            mmsg_t m = {0};
            while (mmsg_recv_now(sock, &m) == 0)
                mmsg_print("SUBSCRIPTION", &m);
            mmsg_free(&m);
        }
    }
}

static void expect_subscription(mmsg_t *m, const char *want, size_t want_len)
{
    recv_msg(m, "a subscription message");
    mmsg_print("SUBSCRIPTION", m);
    if (m->n != 1 || m->p[0].len != want_len || memcmp(m->p[0].data, want, want_len) != 0)
        finish(EXIT_MISMATCH, "unexpected subscription message");
}

/* XPUB: waits for the subscriptions to A, B and END, publishes round 1,
 * waits for the unsubscription from B, publishes round 2, then runs until
 * stdin ends. */
static int role_xpub(void)
{
    mmsg_t m = {0};
    int seen = 0;
    while (seen != 7) {
        recv_msg(&m, "subscriptions to A, B and END");
        mmsg_print("SUBSCRIPTION", &m);
        int bit = 0;
        if (m.n == 1 && m.p[0].len >= 1 && m.p[0].data[0] == 1) {
            for (int t = 0; t < 4; t++)
                if (t != 2 && m.p[0].len - 1 == strlen(topics[t]) &&
                    memcmp(m.p[0].data + 1, topics[t], m.p[0].len - 1) == 0)
                    bit = t == 3 ? 4 : 1 << t;
        }
        if (!bit || (seen & bit))
            finish(EXIT_MISMATCH, "unexpected subscription message");
        seen |= bit;
    }
    publish_round(opt.tag, 1);
    out("PUBLISHED round 1");
    expect_subscription(&m, "\0B", 2);
    publish_round(opt.tag, 2);
    out("PUBLISHED round 2");
    mmsg_free(&m);
    wait_stdin_end();
    return 0;
}

static void sub_change(int subscribe, const char *topic)
{
    if (opt.type == ZMQ_SUB) {
        check_zmq(zmq_setsockopt(sock, subscribe ? ZMQ_SUBSCRIBE : ZMQ_UNSUBSCRIBE, topic,
                                 strlen(topic)),
                  "ZMQ_(UN)SUBSCRIBE");
    } else {
        char s[64];
        s[0] = subscribe ? 1 : 0;
        size_t n = strlen(topic);
        memcpy(s + 1, topic, n);
        if (zmq_send(sock, s, n + 1, 0) == -1)
            finish(EXIT_MISMATCH, "sending a subscription: %s", zmq_strerror(zmq_errno()));
    }
}

/* Reads published messages until a round is complete: with_b says whether
 * topic B must be part of it.  Topic C must never arrive; tag (if set) is the
 * publisher generation required. */
static void sub_round(int with_b, const char *tag, const char *what)
{
    int64_t deadline = now_ms() + opt.timeout_ms;
    mmsg_t m = {0};
    int round = -1, seen_a = 0, seen_b = 0;
    for (;;) {
        recv_by(&m, deadline, what);
        if (m.n != 1)
            finish(EXIT_MISMATCH, "published message with %zu parts", m.n);
        char s[64];
        size_t n = m.p[0].len < sizeof s - 1 ? m.p[0].len : sizeof s - 1;
        memcpy(s, m.p[0].data, n);
        s[n] = 0;
        char topic[16], gen[16];
        int r;
        if (sscanf(s, "%15[^:]:%15[^:]:%d", topic, gen, &r) != 3)
            finish(EXIT_MISMATCH, "unexpected published message \"%s\"", s);
        if (strcmp(topic, "C") == 0)
            finish(EXIT_MISMATCH, "received \"%s\" without subscribing to C", s);
        if (tag && strcmp(gen, tag) != 0)
            continue;
        if (r != round) {
            round = r;
            seen_a = seen_b = 0;
        }
        if (strcmp(topic, "A") == 0)
            seen_a = 1;
        else if (strcmp(topic, "B") == 0)
            seen_b = 1;
        else if (strcmp(topic, "END") == 0 && seen_a && seen_b == with_b) {
            out("ROUND %s:%d %s", gen, r, with_b ? "A B END" : "A END");
            break;
        }
    }
    mmsg_free(&m);
}

/* SUB or XSUB: subscribes to A, B and END, sees a whole round, unsubscribes
 * from B and sees a round without B.  With --reconnect: after the first
 * round prints PHASE1, waits for a stdin line and then needs a whole round
 * from the publisher of generation 2 (subscriptions resent on reconnect). */
static int role_sub(void)
{
    sub_change(1, "A");
    sub_change(1, "B");
    sub_change(1, "END");
    sub_round(1, NULL, "a round with A, B and END");
    if (opt.reconnect) {
        out("PHASE1");
        char line[256];
        wait_line(line, sizeof line);
        sub_round(1, "2", "a round from the restarted publisher");
        return 0;
    }
    sub_change(0, "B");
    sub_round(0, NULL, "a round without B after unsubscribing");
    return 0;
}

/* PUSH: with --peers N first waits for N handshakes, then sends --count
 * messages "<name>:<seq>". */
static int role_push(void)
{
    if (opt.peers) {
        int64_t deadline = now_ms() + opt.timeout_ms;
        while (events_seen(ZMQ_EVENT_HANDSHAKE_SUCCEEDED) < opt.peers)
            if (wait_for(W_EVENT, deadline) == W_NONE)
                finish(EXIT_TIMEOUT, "waiting for %d peers", opt.peers);
    }
    for (int i = 0; i < opt.count; i++) {
        char s[128];
        int n = snprintf(s, sizeof s, "%s:%d", opt.name, i);
        if (zmq_send(sock, s, (size_t)n, 0) == -1)
            finish(zmq_errno() == EAGAIN ? EXIT_TIMEOUT : EXIT_MISMATCH, "push %d: %s", i,
                   zmq_strerror(zmq_errno()));
    }
    out("PUSHED %d", opt.count);
    return 0;
}

/* PULL: with --peers P expects --count messages from each of P pushers, each
 * pusher's in order; with --idle MS takes what comes until MS of silence. */
static int role_pull(void)
{
    mmsg_t m = {0};
    if (opt.idle_ms) {
        int got = 0;
        int64_t deadline = now_ms() + opt.timeout_ms;
        for (;;) {
            if (wait_for(W_SOCK, deadline) == W_NONE) {
                if (got)
                    break;
                finish(EXIT_TIMEOUT, "nothing pulled");
            }
            if (mmsg_recv_now(sock, &m) == -1)
                continue;
            if (m.n != 1)
                finish(EXIT_MISMATCH, "pulled %zu parts", m.n);
            out("MSG %.*s", (int)m.p[0].len, (const char *)m.p[0].data);
            got++;
            deadline = now_ms() + opt.idle_ms;
        }
        out("PULLED %d", got);
        mmsg_free(&m);
        return 0;
    }
    int peers = opt.peers ? opt.peers : 1;
    char (*names)[64] = calloc((size_t)peers, sizeof *names);
    int *next = calloc((size_t)peers, sizeof *next);
    if (!names || !next)
        finish(EXIT_SETUP, "out of memory");
    int known = 0;
    int64_t deadline = now_ms() + opt.timeout_ms;
    for (int total = 0; total < peers * opt.count; total++) {
        recv_by(&m, deadline, "pushed messages");
        if (m.n != 1 || m.p[0].len >= 64)
            finish(EXIT_MISMATCH, "unexpected pushed message");
        char s[64];
        memcpy(s, m.p[0].data, m.p[0].len);
        s[m.p[0].len] = 0;
        char *colon = strrchr(s, ':');
        if (!colon)
            finish(EXIT_MISMATCH, "unexpected pushed message \"%s\"", s);
        *colon = 0;
        int seq = atoi(colon + 1), k;
        for (k = 0; k < known; k++)
            if (strcmp(names[k], s) == 0)
                break;
        if (k == known) {
            if (known == peers)
                finish(EXIT_MISMATCH, "more than %d pushers", peers);
            snprintf(names[known++], 64, "%s", s);
        }
        if (seq != next[k])
            finish(EXIT_MISMATCH, "from %s: %d where %d was due", s, seq, next[k]);
        next[k]++;
    }
    for (int k = 0; k < known; k++)
        out("FROM %s %d", names[k], next[k]);
    if (known != peers)
        finish(EXIT_MISMATCH, "messages from %d pushers instead of %d", known, peers);
    free(names);
    free(next);
    mmsg_free(&m);
    return 0;
}

static const char stream_greeting[] = "hello from stream\n";

/* STREAM against a plain TCP peer: connection notice, a greeting out, then
 * "echo:" + greeting + --size pattern bytes back, then either we close
 * (--close-first, by sending an empty frame) or the peer does and we see the
 * disconnection notice. */
static int role_stream(void)
{
    mmsg_t m = {0};
    recv_msg(&m, "the connection notice");
    mmsg_print("RECV", &m);
    if (m.n != 2 || m.p[1].len != 0)
        finish(EXIT_MISMATCH, "connection notice should be [id, empty]");
    part_t id = {m.p[0].len, xmalloc(m.p[0].len)};
    memcpy(id.data, m.p[0].data, id.len);
    out("CONNECT id of %zu bytes", id.len);

    mmsg_t g = {0};
    mmsg_add(&g, id.data, id.len);
    mmsg_add_str(&g, stream_greeting);
    mmsg_send_or_die(sock, &g, "greeting");

    size_t prefix = 5 + strlen(stream_greeting);
    size_t want = prefix + (size_t)opt.size;
    unsigned char *buf = xmalloc(want);
    size_t have = 0;
    int chunks = 0;
    int64_t deadline = now_ms() + opt.timeout_ms;
    while (have < want) {
        recv_by(&m, deadline, "the echo");
        if (m.n != 2 || m.p[0].len != id.len || memcmp(m.p[0].data, id.data, id.len) != 0)
            finish(EXIT_MISMATCH, "data should be [id, bytes] with the same id");
        if (m.p[1].len == 0)
            finish(EXIT_MISMATCH, "peer went away after %zu of %zu bytes", have, want);
        if (have + m.p[1].len > want)
            finish(EXIT_MISMATCH, "more bytes than expected");
        memcpy(buf + have, m.p[1].data, m.p[1].len);
        have += m.p[1].len;
        chunks++;
    }
    out("RECEIVED %zu bytes in %d chunks", have, chunks);
    if (memcmp(buf, "echo:", 5) != 0 || memcmp(buf + 5, stream_greeting, prefix - 5) != 0)
        finish(EXIT_MISMATCH, "echo does not start with the greeting");
    for (size_t j = 0; j < (size_t)opt.size; j++)
        if (buf[prefix + j] != (unsigned char)(j % 251))
            finish(EXIT_MISMATCH, "echo differs at byte %zu", prefix + j);
    free(buf);

    if (opt.close_first) {
        mmsg_free(&g);
        mmsg_add(&g, id.data, id.len);
        mmsg_add(&g, "", 0);
        mmsg_send_or_die(sock, &g, "close request");
        out("CLOSED");
    } else {
        recv_msg(&m, "the disconnection notice");
        if (m.n != 2 || m.p[1].len != 0 || m.p[0].len != id.len ||
            memcmp(m.p[0].data, id.data, id.len) != 0)
            finish(EXIT_MISMATCH, "expected the disconnection notice [id, empty]");
        out("DISCONNECT");
    }
    mmsg_free(&g);
    mmsg_free(&m);
    free(id.data);
    return 0;
}

static void ping(int k)
{
    char s[32];
    snprintf(s, sizeof s, "ping %d", k);
    mmsg_t m = {0};
    mmsg_add_str(&m, s);
    mmsg_send_or_die(sock, &m, s);
    recv_msg(&m, "the ping's echo");
    if (m.n != 1 || !part_is(&m.p[0], s))
        finish(EXIT_MISMATCH, "echo of \"%s\" is wrong", s);
    mmsg_free(&m);
}

/* The side with heartbeats: a ping, --idle MS of silence that must not cost
 * the connection, a second ping, HB-READY; then after a stdin line (the peer
 * has been stopped) a DISCONNECTED event must come within --timeout. */
static int role_hb(void)
{
    ping(1);
    pause_ms(opt.idle_ms);
    if (events_seen(ZMQ_EVENT_DISCONNECTED))
        finish(EXIT_MISMATCH, "connection dropped while idle with heartbeats");
    ping(2);
    drain_monitor();
    if (events_seen(ZMQ_EVENT_DISCONNECTED))
        finish(EXIT_MISMATCH, "connection dropped while idle with heartbeats");
    out("HB-READY");
    char line[256];
    wait_line(line, sizeof line);
    int64_t t0 = now_ms(), deadline = t0 + opt.timeout_ms;
    while (!events_seen(ZMQ_EVENT_DISCONNECTED))
        if (wait_for(W_EVENT, deadline) == W_NONE)
            finish(EXIT_TIMEOUT, "no DISCONNECTED event after the peer stopped");
    out("DISCONNECTED after %lld ms", (long long)(now_ms() - t0));
    /* A stopped peer will never read what is left: do not linger on it. */
    set_int(ZMQ_LINGER, 0, "ZMQ_LINGER");
    return 0;
}

/* A client the server refuses: its one message is not answered, the monitor
 * reports the failed handshake (HANDSHAKE_FAILED_AUTH; HANDSHAKE_FAILED_PROTOCOL
 * with --any-failure, for libzmq 4.3.4's PLAIN, whose ERROR commands are
 * malformed both ways), and for --idle MS after that no new handshake is
 * tried (libzmq stops after such a failure). */
static int role_refused(void)
{
    zmq_send(sock, "let me in", 9, ZMQ_DONTWAIT);
    int64_t deadline = now_ms() + opt.timeout_ms;
    while (events_seen(ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) == 0 &&
           !(opt.any_failure && events_seen(ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)))
        if (wait_for(W_EVENT, deadline) == W_NONE)
            finish(EXIT_TIMEOUT, "no HANDSHAKE_FAILED_AUTH");
    int connects = events_seen(ZMQ_EVENT_CONNECTED);
    deadline = now_ms() + opt.idle_ms;
    for (;;) {
        int w = wait_for(W_SOCK | W_EVENT, deadline);
        if (w == W_NONE)
            break;
        if (w == W_SOCK)
            finish(EXIT_MISMATCH, "a refused client received a message");
    }
    if (events_seen(ZMQ_EVENT_CONNECTED) != connects)
        finish(EXIT_MISMATCH, "the refused client connected again");
    if (events_seen(ZMQ_EVENT_HANDSHAKE_SUCCEEDED))
        finish(EXIT_MISMATCH, "a refused handshake succeeded");
    out("REFUSED");
    return 0;
}

/* A server that must receive nothing until its stdin ends. */
static int role_silent(void)
{
    int64_t deadline = now_ms() + (int64_t)opt.max_time_s * 1000;
    for (;;) {
        int w = wait_for(W_SOCK | W_STDIN, deadline);
        if (w == W_NONE)
            finish(EXIT_TIMEOUT, "silent server never told to stop");
        if (w == W_STDIN) {
            char line[256];
            if (stdin_eof || take_line(line, sizeof line))
                break;
            continue;
        }
        finish(EXIT_MISMATCH, "a message got through");
    }
    out("SILENT");
    return 0;
}

/* Prints a new CURVE key pair: public, then secret. */
static int keygen(void)
{
    char pub[41], sec[41];
    if (zmq_curve_keypair(pub, sec) == -1) {
        printf("FAIL zmq_curve_keypair: %s\n", zmq_strerror(zmq_errno()));
        return EXIT_SETUP;
    }
    printf("%s\n%s\n", pub, sec);
    return 0;
}

static int probe(const char *transport)
{
    void *c = zmq_ctx_new();
    void *s = c ? zmq_socket(c, ZMQ_PAIR) : NULL;
    if (!s)
        finish(EXIT_SETUP, "no socket: %s", zmq_strerror(zmq_errno()));
    char ep[128];
    if (strcmp(transport, "ipc") == 0)
        snprintf(ep, sizeof ep, "ipc://@zmq-probe-%ld", (long)getpid());
    else
        snprintf(ep, sizeof ep, "%s://127.0.0.1:*", transport);
    int rc = zmq_bind(s, ep), e = zmq_errno();
    int lin = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &lin, sizeof lin);
    zmq_close(s);
    zmq_ctx_term(c);
    if (rc == 0) {
        out("%s: supported", transport);
        return 0;
    }
    if (e == EPROTONOSUPPORT) {
        out("%s: not supported", transport);
        return EXIT_UNSUPPORTED;
    }
    out("%s: zmq_bind failed: %s", transport, zmq_strerror(e));
    return EXIT_MISMATCH;
}

/* ---------------------------------------------------------------- main */

static void usage(void)
{
    fputs("usage: peer <role> <socket-type> <bind|connect> <endpoint[,endpoint...]> [options]\n"
          "       peer probe tcp|ipc\n"
          "roles: client echo-server router-server hello pub xpub sub push pull stream hb\n"
          "       refused silent\n"
          "options: --id ID --name NAME --tag TAG --expect-ids A,B --generated-ids\n"
          "         --count N --peers N --big --envelope --timeout MS --max-time S\n"
          "         --ipv6 --hb-ivl MS --hb-timeout MS --hb-ttl MS --monitor\n"
          "         --maxmsgsize N --idle MS --pause-after N --linger MS\n"
          "         --close-first --size N --reconnect\n"
          "         --curve-server SECRET | --curve-serverkey K --curve-public K --curve-secret K\n"
          "         --plain-server | --plain-user U --plain-pass P\n"
          "         --zap-domain D --zap-allow plain:U:P|curve=KEY|null|deny --any-failure\n"
          "       peer keygen\n",
          stderr);
    exit(EXIT_SETUP);
}

static int int_arg(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc)
        usage();
    return atoi(argv[++*i]);
}

static const char *str_arg(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc)
        usage();
    return argv[++*i];
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "probe") == 0)
        return probe(argv[2]);
    if (argc == 2 && strcmp(argv[1], "keygen") == 0)
        return keygen();
    if (argc < 5)
        usage();
    opt.role = argv[1];
    opt.type_name = argv[2];
    opt.type = -1;
    for (size_t i = 0; i < sizeof socket_types / sizeof socket_types[0]; i++)
        if (strcmp(socket_types[i].name, argv[2]) == 0)
            opt.type = socket_types[i].type;
    if (opt.type < 0)
        usage();
    if (strcmp(argv[3], "bind") == 0)
        opt.bind = 1;
    else if (strcmp(argv[3], "connect") != 0)
        usage();
    opt.endpoints = argv[4];
    opt.name = "peer";
    opt.tag = "1";
    opt.count = 10;
    opt.timeout_ms = 5000;
    opt.max_time_s = 60;
    opt.linger = 2000;
    opt.size = 100000;
    for (int i = 5; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--id"))
            opt.id = str_arg(argc, argv, &i);
        else if (!strcmp(a, "--name"))
            opt.name = str_arg(argc, argv, &i);
        else if (!strcmp(a, "--tag"))
            opt.tag = str_arg(argc, argv, &i);
        else if (!strcmp(a, "--expect-ids"))
            opt.expect_ids = str_arg(argc, argv, &i);
        else if (!strcmp(a, "--generated-ids"))
            opt.generated_ids = 1;
        else if (!strcmp(a, "--count"))
            opt.count = int_arg(argc, argv, &i);
        else if (!strcmp(a, "--peers"))
            opt.peers = int_arg(argc, argv, &i);
        else if (!strcmp(a, "--big"))
            opt.big = 1;
        else if (!strcmp(a, "--envelope"))
            opt.envelope = 1;
        else if (!strcmp(a, "--timeout"))
            opt.timeout_ms = int_arg(argc, argv, &i);
        else if (!strcmp(a, "--max-time"))
            opt.max_time_s = int_arg(argc, argv, &i);
        else if (!strcmp(a, "--ipv6"))
            opt.ipv6 = 1;
        else if (!strcmp(a, "--hb-ivl"))
            opt.hb_ivl = int_arg(argc, argv, &i);
        else if (!strcmp(a, "--hb-timeout"))
            opt.hb_timeout = int_arg(argc, argv, &i);
        else if (!strcmp(a, "--hb-ttl"))
            opt.hb_ttl = int_arg(argc, argv, &i);
        else if (!strcmp(a, "--monitor"))
            opt.monitor = 1;
        else if (!strcmp(a, "--maxmsgsize"))
            opt.maxmsgsize = atoll(str_arg(argc, argv, &i));
        else if (!strcmp(a, "--idle"))
            opt.idle_ms = int_arg(argc, argv, &i);
        else if (!strcmp(a, "--pause-after"))
            opt.pause_after = int_arg(argc, argv, &i);
        else if (!strcmp(a, "--linger"))
            opt.linger = int_arg(argc, argv, &i);
        else if (!strcmp(a, "--close-first"))
            opt.close_first = 1;
        else if (!strcmp(a, "--size"))
            opt.size = int_arg(argc, argv, &i);
        else if (!strcmp(a, "--reconnect"))
            opt.reconnect = 1;
        else if (!strcmp(a, "--curve-server"))
            opt.curve_server = str_arg(argc, argv, &i);
        else if (!strcmp(a, "--curve-serverkey"))
            opt.curve_serverkey = str_arg(argc, argv, &i);
        else if (!strcmp(a, "--curve-public"))
            opt.curve_public = str_arg(argc, argv, &i);
        else if (!strcmp(a, "--curve-secret"))
            opt.curve_secret = str_arg(argc, argv, &i);
        else if (!strcmp(a, "--plain-server"))
            opt.plain_server = 1;
        else if (!strcmp(a, "--plain-user"))
            opt.plain_user = str_arg(argc, argv, &i);
        else if (!strcmp(a, "--plain-pass"))
            opt.plain_pass = str_arg(argc, argv, &i);
        else if (!strcmp(a, "--zap-domain"))
            opt.zap_domain = str_arg(argc, argv, &i);
        else if (!strcmp(a, "--zap-allow"))
            opt.zap_allow = str_arg(argc, argv, &i);
        else if (!strcmp(a, "--any-failure"))
            opt.any_failure = 1;
        else
            usage();
    }

    signal(SIGALRM, on_alarm);
    alarm((unsigned)opt.max_time_s);

    static const struct {
        const char *name;
        int (*run)(void);
    } roles[] = {
        {"client", role_client}, {"echo-server", role_echo_server},
        {"router-server", role_router_server}, {"hello", role_hello},
        {"pub", role_pub}, {"xpub", role_xpub}, {"sub", role_sub},
        {"push", role_push}, {"pull", role_pull}, {"stream", role_stream},
        {"hb", role_hb}, {"refused", role_refused}, {"silent", role_silent},
    };
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
        if (strcmp(roles[i].name, opt.role) == 0) {
            setup();
            teardown(roles[i].run());
        }
    usage();
    return EXIT_SETUP;
}
