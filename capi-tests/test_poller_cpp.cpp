/*  zmq_poller from C++ the way cppzmq's draft API uses it: zmq.h compiled as
    C++11 with ZMQ_BUILD_DRAFT_API, an RAII poller template whose event type
    mirrors zmq_poller_event_t (a std::vector of them passed straight to
    zmq_poller_wait_all), errors turned into exceptions, EAGAIN into "nothing
    ready". */
// libzmq: skip draft API absent from Debian's libzmq build
// libzmq-draft: ok
#define ZMQ_BUILD_DRAFT_API 1
#include <zmq.h>

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            std::fprintf (stderr, "%s:%d: check failed: %s\n", __FILE__,       \
                          __LINE__, #cond);                                    \
            std::exit (1);                                                     \
        }                                                                      \
    } while (0)

namespace mini
{
struct error_t : std::exception
{
    error_t () : errnum (zmq_errno ()) {}
    const char *what () const noexcept override { return zmq_strerror (errnum); }
    int num () const { return errnum; }
    int errnum;
};

enum class event_flags : short
{
    none = 0,
    pollin = ZMQ_POLLIN,
    pollout = ZMQ_POLLOUT,
    pollerr = ZMQ_POLLERR,
};

inline event_flags operator| (event_flags a, event_flags b)
{
    return static_cast<event_flags> (static_cast<short> (a)
                                     | static_cast<short> (b));
}

struct socket_ref
{
    void *ptr;
};

class context_t
{
  public:
    context_t () : ptr (zmq_ctx_new ()) {}
    ~context_t () { zmq_ctx_term (ptr); }
    void *handle () { return ptr; }

  private:
    void *ptr;
};

class socket_t
{
  public:
    socket_t (context_t &ctx, int type) : ptr (zmq_socket (ctx.handle (), type))
    {
        if (!ptr)
            throw error_t ();
        int linger = 0;
        zmq_setsockopt (ptr, ZMQ_LINGER, &linger, sizeof linger);
    }
    ~socket_t () { zmq_close (ptr); }
    socket_t (const socket_t &) = delete;
    socket_t &operator= (const socket_t &) = delete;
    void bind (const std::string &ep)
    {
        if (zmq_bind (ptr, ep.c_str ()) != 0)
            throw error_t ();
    }
    void connect (const std::string &ep)
    {
        if (zmq_connect (ptr, ep.c_str ()) != 0)
            throw error_t ();
    }
    std::string last_endpoint () const
    {
        char buf[256];
        size_t len = sizeof buf;
        if (zmq_getsockopt (ptr, ZMQ_LAST_ENDPOINT, buf, &len) != 0)
            throw error_t ();
        return std::string (buf);
    }
    void send (const std::string &s)
    {
        if (zmq_send (ptr, s.data (), s.size (), 0) != (int) s.size ())
            throw error_t ();
    }
    std::string recv ()
    {
        char buf[256];
        int n = zmq_recv (ptr, buf, sizeof buf, 0);
        if (n < 0)
            throw error_t ();
        return std::string (buf, (size_t) n);
    }
    operator socket_ref () const { return socket_ref{ptr}; }
    void *handle () const { return ptr; }

  private:
    void *ptr;
};

/*  cppzmq's poller_event: what zmq_poller_wait_all writes, field for field. */
template <typename T> struct poller_event
{
    socket_ref socket;
    zmq_fd_t fd;
    T *user_data;
    event_flags events;
};

template <typename T> class poller_t
{
  public:
    using event_type = poller_event<T>;

    poller_t () : poller_ptr (zmq_poller_new ())
    {
        if (!poller_ptr)
            throw error_t ();
    }

    void add (socket_ref socket, event_flags events, T *user_data)
    {
        if (zmq_poller_add (poller_ptr.get (), socket.ptr, user_data,
                            static_cast<short> (events))
            != 0)
            throw error_t ();
    }
    void add (zmq_fd_t fd, event_flags events, T *user_data)
    {
        if (zmq_poller_add_fd (poller_ptr.get (), fd, user_data,
                               static_cast<short> (events))
            != 0)
            throw error_t ();
    }
    void modify (socket_ref socket, event_flags events)
    {
        if (zmq_poller_modify (poller_ptr.get (), socket.ptr,
                               static_cast<short> (events))
            != 0)
            throw error_t ();
    }
    void remove (socket_ref socket)
    {
        if (zmq_poller_remove (poller_ptr.get (), socket.ptr) != 0)
            throw error_t ();
    }
    size_t wait_all (std::vector<event_type> &events,
                     std::chrono::milliseconds timeout)
    {
        int rc = zmq_poller_wait_all (
          poller_ptr.get (),
          reinterpret_cast<zmq_poller_event_t *> (events.data ()),
          static_cast<int> (events.size ()), static_cast<long> (timeout.count ()));
        if (rc > 0)
            return static_cast<size_t> (rc);
        if (zmq_errno () == EAGAIN)
            return 0;
        throw error_t ();
    }
    size_t size () const
    {
        int rc = zmq_poller_size (poller_ptr.get ());
        return static_cast<size_t> (rc < 0 ? 0 : rc);
    }
    zmq_fd_t fd () const
    {
        zmq_fd_t fd;
        if (zmq_poller_fd (poller_ptr.get (), &fd) != 0)
            throw error_t ();
        return fd;
    }

  private:
    struct destroy_poller_t
    {
        void operator() (void *ptr) noexcept
        {
            int rc = zmq_poller_destroy (&ptr);
            if (rc != 0)
                std::abort ();
        }
    };
    std::unique_ptr<void, destroy_poller_t> poller_ptr;
};
}

struct handler
{
    std::string name;
    int calls;
};

/*  The event layout cppzmq relies on. */
static_assert (sizeof (mini::poller_event<handler>) == sizeof (zmq_poller_event_t),
               "poller_event mirrors zmq_poller_event_t");
static_assert (offsetof (mini::poller_event<handler>, user_data)
                 == offsetof (zmq_poller_event_t, user_data),
               "user_data where zmq_poller_event_t has it");
static_assert (offsetof (mini::poller_event<handler>, events)
                 == offsetof (zmq_poller_event_t, events),
               "events where zmq_poller_event_t has it");
static_assert (std::is_same<decltype (zmq_poller_new ()), void *>::value,
               "zmq_poller_new returns void *");

int main ()
{
    alarm (30);
    mini::context_t ctx;
    mini::socket_t server (ctx, ZMQ_SERVER);
    mini::socket_t client (ctx, ZMQ_CLIENT);
    server.bind ("tcp://127.0.0.1:*");
    client.connect (server.last_endpoint ());

    handler on_server{"server", 0}, on_client{"client", 0};
    mini::poller_t<handler> poller;
    poller.add (server, mini::event_flags::pollin, &on_server);
    poller.add (client, mini::event_flags::pollin, &on_client);
    CHECK (poller.size () == 2);
    CHECK (poller.fd () >= 0);

    bool threw = false;
    try {
        poller.add (server, mini::event_flags::pollin, &on_server);
    }
    catch (const mini::error_t &e) {
        threw = e.num () == EINVAL;
    }
    CHECK (threw);

    std::vector<mini::poller_t<handler>::event_type> events (2);
    CHECK (poller.wait_all (events, std::chrono::milliseconds (0)) == 0);

    client.send ("ping");
    CHECK (poller.wait_all (events, std::chrono::milliseconds (5000)) == 1);
    CHECK (events[0].socket.ptr == server.handle ());
    CHECK (events[0].user_data == &on_server);
    CHECK (events[0].events == mini::event_flags::pollin);
    events[0].user_data->calls++;
    CHECK (events[1].user_data == nullptr);

    /*  The reply goes by routing id, as the SERVER received it. */
    zmq_msg_t m;
    zmq_msg_init (&m);
    CHECK (zmq_msg_recv (&m, server.handle (), 0) == 4);
    zmq_msg_t reply;
    zmq_msg_init_size (&reply, 4);
    std::memcpy (zmq_msg_data (&reply), "pong", 4);
    zmq_msg_set_routing_id (&reply, zmq_msg_routing_id (&m));
    zmq_msg_close (&m);
    CHECK (zmq_msg_send (&reply, server.handle (), 0) == 4);

    poller.modify (client, mini::event_flags::pollin | mini::event_flags::pollout);
    CHECK (poller.wait_all (events, std::chrono::milliseconds (5000)) >= 1);
    CHECK (events[0].socket.ptr == client.handle ());
    CHECK ((static_cast<short> (events[0].events) & ZMQ_POLLOUT) != 0);
    CHECK (client.recv () == "pong");

    poller.remove (client);
    CHECK (poller.size () == 1);
    CHECK (on_server.calls == 1 && on_client.calls == 0);
    return 0;
}
