/*  The library reports exactly the version its header announces, 4.3.5. */
// libzmq: skip Debian ships 4.3.4; this library reports 4.3.5
#include "testutil.h"

int main (void)
{
    TEST_TIMEOUT (10);
    int major = -1, minor = -1, patch = -1;
    zmq_version (&major, &minor, &patch);
    CHECK_EQ (major, 4);
    CHECK_EQ (minor, 3);
    CHECK_EQ (patch, 5);

    CHECK_EQ (ZMQ_VERSION_MAJOR, 4);
    CHECK_EQ (ZMQ_VERSION_MINOR, 3);
    CHECK_EQ (ZMQ_VERSION_PATCH, 5);
    CHECK_EQ (ZMQ_VERSION, 40305);
    CHECK_EQ (ZMQ_MAKE_VERSION (major, minor, patch), ZMQ_VERSION);
    return 0;
}
