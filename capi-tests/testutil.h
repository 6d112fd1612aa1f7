/*  Helpers shared by the C API tests: assertions that report file:line and the
    failing expression then exit(1), a millisecond sleep, a clock, and a watchdog.
    Only the C library, POSIX and zmq.h. */
#ifndef CAPI_TESTUTIL_H
#define CAPI_TESTUTIL_H

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#define TEST_FAIL_(...)                                                        \
    do {                                                                       \
        fprintf (stderr, "%s:%d: ", __FILE__, __LINE__);                       \
        fprintf (stderr, __VA_ARGS__);                                         \
        fputc ('\n', stderr);                                                  \
        exit (1);                                                              \
    } while (0)

/*  The condition must hold. */
#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            TEST_FAIL_ ("check failed: %s", #cond);                            \
    } while (0)

/*  A zmq call that must succeed: anything but -1. Evaluates to the result. */
#define CHECK_RC(expr) check_rc_ ((int) (expr), #expr, __FILE__, __LINE__)

static inline int check_rc_ (int rc, const char *expr, const char *file,
                             int line)
{
    if (rc == -1) {
        int e = errno;
        fprintf (stderr, "%s:%d: %s failed: %s (errno %d)\n", file, line, expr,
                 zmq_strerror (e), e);
        exit (1);
    }
    return rc;
}

/*  A zmq call that must fail with -1 and the given errno. */
#define CHECK_ERR(expr, err)                                                   \
    do {                                                                       \
        errno = 0;                                                             \
        int rc_ = (int) (expr);                                                \
        int e_ = errno;                                                        \
        if (rc_ != -1)                                                         \
            TEST_FAIL_ ("%s returned %d, expected -1 with %s", #expr, rc_,     \
                        #err);                                                 \
        if (e_ != (err))                                                       \
            TEST_FAIL_ ("%s failed with errno %d (%s), expected %s (%d)",      \
                        #expr, e_, zmq_strerror (e_), #err, (err));            \
    } while (0)

/*  A call returning a pointer that must not be NULL. Evaluates to it. */
#define CHECK_PTR(expr) check_ptr_ ((void *) (expr), #expr, __FILE__, __LINE__)

static inline void *check_ptr_ (void *p, const char *expr, const char *file,
                                int line)
{
    if (p == NULL) {
        int e = errno;
        fprintf (stderr, "%s:%d: %s returned NULL: %s (errno %d)\n", file, line,
                 expr, zmq_strerror (e), e);
        exit (1);
    }
    return p;
}

/*  A call returning a pointer that must be NULL with the given errno. */
#define CHECK_NULL_ERR(expr, err)                                              \
    do {                                                                       \
        errno = 0;                                                             \
        const void *p_ = (const void *) (expr);                                \
        int e_ = errno;                                                        \
        if (p_ != NULL)                                                        \
            TEST_FAIL_ ("%s returned non-NULL, expected NULL with %s", #expr,  \
                        #err);                                                 \
        if (e_ != (err))                                                       \
            TEST_FAIL_ ("%s failed with errno %d (%s), expected %s (%d)",      \
                        #expr, e_, zmq_strerror (e_), #err, (err));            \
    } while (0)

/*  Two integers must be equal; both are printed when they are not. */
#define CHECK_EQ(a, b)                                                         \
    do {                                                                       \
        long long a_ = (long long) (a), b_ = (long long) (b);                  \
        if (a_ != b_)                                                          \
            TEST_FAIL_ ("check failed: %s == %s (%lld != %lld)", #a, #b, a_,   \
                        b_);                                                   \
    } while (0)

/*  Two NUL-terminated strings must be equal. */
#define CHECK_STR(a, b)                                                        \
    do {                                                                       \
        const char *a_ = (a), *b_ = (b);                                       \
        if (a_ == NULL || b_ == NULL || strcmp (a_, b_) != 0)                  \
            TEST_FAIL_ ("check failed: %s == %s (\"%s\" != \"%s\")", #a, #b,   \
                        a_ ? a_ : "(null)", b_ ? b_ : "(null)");               \
    } while (0)

static inline void msleep (int ms)
{
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (long) (ms % 1000) * 1000000L;
    while (nanosleep (&ts, &ts) == -1 && errno == EINTR) {
    }
}

/*  Monotonic milliseconds. */
static inline long long now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_timeout_handler_ (int sig)
{
    static const char m[] = "test timed out (TEST_TIMEOUT watchdog)\n";
    (void) sig;
    if (write (2, m, sizeof m - 1) < 0) {
    }
    _exit (3);
}

/*  Kills the test if it has not finished within the given number of seconds. */
#define TEST_TIMEOUT(seconds)                                                  \
    do {                                                                       \
        signal (SIGALRM, test_timeout_handler_);                               \
        alarm (seconds);                                                       \
    } while (0)

#endif
