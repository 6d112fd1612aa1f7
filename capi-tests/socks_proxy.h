/*  Helpers of the SOCKS5 tests (test_socks*.c): starting the test proxy
    (tests/socks/socks5_proxy.py, found beside the test sources unless
    SOCKS5_PROXY_SCRIPT names it; it needs python3), reading its log, and a
    REQ/REP exchange through it. Include after testutil.h, with
    ZMQ_BUILD_DRAFT_API defined (ZMQ_SOCKS_USERNAME, ZMQ_SOCKS_PASSWORD). */
#ifndef CAPI_SOCKS_PROXY_H
#define CAPI_SOCKS_PROXY_H

#include <poll.h>

static inline const char *proxy_script (void)
{
    static char path[4096];
    const char *env = getenv ("SOCKS5_PROXY_SCRIPT");
    if (env && *env)
        return env;
    snprintf (path, sizeof path, "%s", __FILE__);
    char *slash = strrchr (path, '/');
    if (slash)
        *(slash + 1) = '\0';
    else
        path[0] = '\0';
    strncat (path, "../tests/socks/socks5_proxy.py",
             sizeof path - strlen (path) - 1);
    return path;
}

struct proxy
{
    pid_t pid;
    int in_fd, out_fd;
    int port;
    char pending[8192]; /* read, not yet split into lines */
    size_t len;
    char log[16384]; /* every line, for failure reports */
    size_t log_len;
};

/*  The next line the proxy printed, within ms; 0 when none came. */
static inline int proxy_line (struct proxy *p, char *line, size_t cap, int ms)
{
    const long long deadline = now_ms () + ms;
    for (;;) {
        char *nl = memchr (p->pending, '\n', p->len);
        if (nl) {
            const size_t n = (size_t) (nl - p->pending);
            const size_t c = n < cap - 1 ? n : cap - 1;
            memcpy (line, p->pending, c);
            line[c] = '\0';
            if (p->log_len + n + 2 < sizeof p->log) {
                memcpy (p->log + p->log_len, p->pending, n + 1);
                p->log_len += n + 1;
                p->log[p->log_len] = '\0';
            }
            memmove (p->pending, nl + 1, p->len - n - 1);
            p->len -= n + 1;
            return 1;
        }
        const long long left = deadline - now_ms ();
        if (left <= 0 || p->len == sizeof p->pending)
            return 0;
        struct pollfd pfd = {p->out_fd, POLLIN, 0};
        if (poll (&pfd, 1, (int) left) <= 0)
            continue;
        const ssize_t n =
          read (p->out_fd, p->pending + p->len, sizeof p->pending - p->len);
        if (n <= 0)
            return 0;
        p->len += (size_t) n;
    }
}

/*  Waits (5 s at most) for a line starting with prefix; fails otherwise. */
static inline void proxy_expect (struct proxy *p, const char *prefix)
{
    char line[512];
    const long long deadline = now_ms () + 5000;
    for (;;) {
        const long long left = deadline - now_ms ();
        if (left <= 0 || !proxy_line (p, line, sizeof line, (int) left))
            TEST_FAIL_ ("the proxy logged no \"%s\" line; its log:\n%s", prefix,
                        p->log);
        if (strncmp (line, prefix, strlen (prefix)) == 0)
            return;
    }
}

static inline void proxy_start (struct proxy *p, const char *user,
                         const char *password)
{
    memset (p, 0, sizeof *p);
    int in[2], out[2];
    CHECK (pipe (in) == 0 && pipe (out) == 0);
    const char *script = proxy_script ();
    if (access (script, R_OK) != 0)
        TEST_FAIL_ ("the SOCKS5 proxy %s is not there (set SOCKS5_PROXY_SCRIPT)",
                    script);
    p->pid = fork ();
    CHECK (p->pid >= 0);
    if (p->pid == 0) {
        dup2 (in[0], 0);
        dup2 (out[1], 1);
        close (in[0]);
        close (in[1]);
        close (out[0]);
        close (out[1]);
        if (user)
            execlp ("python3", "python3", script, "--max-time", "50", "--user",
                    user, "--password", password, (char *) NULL);
        else
            execlp ("python3", "python3", script, "--max-time", "50",
                    (char *) NULL);
        _exit (127);
    }
    close (in[0]);
    close (out[1]);
    p->in_fd = in[1];
    p->out_fd = out[0];
    char line[256];
    if (!proxy_line (p, line, sizeof line, 10000)
        || strncmp (line, "PORT ", 5) != 0)
        TEST_FAIL_ ("the SOCKS5 proxy did not start (python3 %s)", script);
    p->port = atoi (line + 5);
    CHECK (p->port > 0);
}

/*  The end of its input stops the proxy; it is killed if it lingers. */
static inline void proxy_stop (struct proxy *p)
{
    close (p->in_fd);
    const long long deadline = now_ms () + 5000;
    int status;
    while (waitpid (p->pid, &status, WNOHANG) == 0) {
        if (now_ms () > deadline) {
            kill (p->pid, SIGKILL);
            waitpid (p->pid, &status, 0);
            break;
        }
        msleep (10);
    }
    close (p->out_fd);
}

static inline void set_str (void *s, int option, const char *value)
{
    CHECK_RC (zmq_setsockopt (s, option, value, strlen (value)));
}

struct route
{
    const char *bind;    /* the REP's endpoint */
    const char *connect; /* the REQ's, "%d" standing for the REP's port */
    const char *logged;  /* the proxy's CONNECT line, "%d" for the port */
    const char *user, *password;         /* the proxy's */
    const char *req_user, *req_password; /* the REQ's */
    int delivered;
};

static inline void through_proxy (void *arg)
{
    const struct route *r = (const struct route *) arg;
    struct proxy proxy;
    proxy_start (&proxy, r->user, r->password);

    void *ctx = CHECK_PTR (zmq_ctx_new ());
    void *rep = SOCKET (ctx, ZMQ_REP);
    SET_INT (rep, ZMQ_LINGER, 0);
    if (strstr (r->bind, "[::1]"))
        SET_INT (rep, ZMQ_IPV6, 1);
    CHECK_RC (zmq_bind (rep, r->bind));
    char ep[256];
    size_t len = sizeof ep;
    CHECK_RC (zmq_getsockopt (rep, ZMQ_LAST_ENDPOINT, ep, &len));
    const int port = atoi (strrchr (ep, ':') + 1);

    void *req = SOCKET (ctx, ZMQ_REQ);
    SET_INT (req, ZMQ_LINGER, 0);
    char proxy_addr[64];
    snprintf (proxy_addr, sizeof proxy_addr, "127.0.0.1:%d", proxy.port);
    set_str (req, ZMQ_SOCKS_PROXY, proxy_addr);
    if (r->req_user) {
        set_str (req, ZMQ_SOCKS_USERNAME, r->req_user);
        set_str (req, ZMQ_SOCKS_PASSWORD, r->req_password);
    }
    char target[256];
    snprintf (target, sizeof target, r->connect, port);
    CHECK_RC (zmq_connect (req, target));
    SEND_STR (req, "through the proxy", 0);

    if (r->delivered) {
        RECV_STR (rep, "through the proxy", 0);
        SEND_STR (rep, "and back", 0);
        RECV_STR (req, "and back", 0);
        /*  The connection was the proxy's. */
        char logged[256];
        snprintf (logged, sizeof logged, r->logged, port);
        if (r->user)
            proxy_expect (&proxy, "AUTH-OK ");
        proxy_expect (&proxy, logged);
        proxy_expect (&proxy, "CONNECTED ");
    } else {
        /*  The proxy turned the client away (and it keeps retrying): the
            request never arrives. */
        proxy_expect (&proxy, r->logged);
        EXPECT_NOTHING (rep, 1000);
        char line[512];
        while (proxy_line (&proxy, line, sizeof line, 0))
            if (strncmp (line, "CONNECT ", 8) == 0)
                TEST_FAIL_ ("the proxy connected a client it turned away: %s",
                            line);
    }
    CHECK_RC (zmq_close (req));
    CHECK_RC (zmq_close (rep));
    CHECK_RC (zmq_ctx_term (ctx));
    proxy_stop (&proxy);
}

#endif
