"""pyzmq (Debian's python3-zmq, built against libzmq) running on this library through
LD_PRELOAD: blocking calls, the asyncio loop (which relies on the ZMQ_FD edge
contract), the poller and pub/sub, over inproc."""
import asyncio, zmq, zmq.asyncio
async def main():
    ctx = zmq.asyncio.Context()
    a = ctx.socket(zmq.PAIR); b = ctx.socket(zmq.PAIR)
    a.bind("inproc://aio"); b.connect("inproc://aio")
    async def echo():
        for _ in range(2000):
            m = await b.recv_multipart()
            await b.send_multipart(m)
    t = asyncio.create_task(echo())
    for i in range(2000):
        await a.send_multipart([b"x", str(i).encode()])
        r = await asyncio.wait_for(a.recv_multipart(), 5)
        assert r == [b"x", str(i).encode()], r
    await t
    # pub/sub through asyncio poller
    pub = ctx.socket(zmq.PUB); sub = ctx.socket(zmq.SUB)
    pub.bind("inproc://ps"); sub.connect("inproc://ps"); sub.subscribe(b"t")
    await asyncio.sleep(0.01)
    for i in range(100): await pub.send(b"t%d" % i)
    got = [await asyncio.wait_for(sub.recv(), 5) for _ in range(100)]
    assert got[-1] == b"t99"
    ctx.destroy(linger=0)


def blocking_and_poller():
    ctx = zmq.Context()
    rep = ctx.socket(zmq.REP); req = ctx.socket(zmq.REQ)
    rep.bind("inproc://rr"); req.connect("inproc://rr")
    req.send_multipart([b"a", b"b"])
    assert rep.recv_multipart() == [b"a", b"b"]
    rep.send(b"ok")
    poller = zmq.Poller(); poller.register(req, zmq.POLLIN)
    assert dict(poller.poll(1000)).get(req) == zmq.POLLIN
    assert req.recv() == b"ok"
    try:
        req.recv(zmq.NOBLOCK)
        raise AssertionError("recv before send must fail")
    except zmq.ZMQError as e:
        assert e.errno == zmq.EFSM, e
    ctx.destroy(linger=0)


def over_tcp():
    ctx = zmq.Context()
    router = ctx.socket(zmq.ROUTER)
    port = router.bind_to_random_port("tcp://127.0.0.1")
    dealer = ctx.socket(zmq.DEALER)
    dealer.setsockopt(zmq.ROUTING_ID, b"d1")
    dealer.connect("tcp://127.0.0.1:%d" % port)
    dealer.send_multipart([b"hi", b"there"])
    assert router.recv_multipart() == [b"d1", b"hi", b"there"]
    router.send_multipart([b"d1", b"back"])
    assert dealer.recv() == b"back"
    frame = router.recv(copy=False) if router.poll(0) else None
    assert frame is None
    ctx.destroy(linger=0)


blocking_and_poller()
over_tcp()
asyncio.run(main())
print("pyzmq smoke: ok on libzmq", zmq.zmq_version())
