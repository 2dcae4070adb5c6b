# The userspace "wire" of tests/netem.rs: joins two TUN devices and applies netem-style delay,
# jitter, loss, rate and queue limit to each direction (this kernel has no netem qdisc).
#
#   python3 tests/netem-wire.py HOST_DEV FAR_DEV
#
# Creates both TUN devices (in the current network namespace; move one with `ip link set DEV
# netns NS`, then address them and bring them up), prints "ready", then takes commands on stdin,
# one a line, each answered "ok": `set DELAY JITTER LOSS RATE LIMIT` (seconds, seconds, fraction,
# bits/s with 0 for unlimited, packets) and `cut` (drop everything until the next `set`). It
# carries nothing until the first `set`, and exits when stdin closes, removing its devices.
# Needs root (or CAP_NET_ADMIN) and /dev/net/tun; Python's standard library only.

import fcntl, heapq, os, random, select, struct, sys, time

def attach(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    # TUNSETIFF, IFF_TUN | IFF_NO_PI: a new layer-3 device that lives as long as this fd.
    fcntl.ioctl(fd, 0x400454CA, struct.pack("16sH", name.encode(), 0x0001 | 0x1000))
    return fd

# The wire stands for the network, which does not slow down when this computer is busy: ahead
# of the tests and builds running beside it (a starved wire delays and drops packets, and the
# transfer over it took twice as long under a parallel build).
try:
    os.nice(-10)
except PermissionError:
    pass
host, far = attach(sys.argv[1]), attach(sys.argv[2])
peer = {host: far, far: host}
delay = jitter = loss = rate = 0.0
limit, cut = 1000, True
free_at = {host: 0.0, far: 0.0}  # when each direction has sent its last packet (rate)
queued = {host: 0, far: 0}  # packets on their way in each direction (limit)
pending = []  # heap of (due, sequence, from, packet)
sequence = 0
commands = b""
print("ready", flush=True)
while True:
    timeout = max(0.0, pending[0][0] - time.monotonic()) if pending else None
    readable, _, _ = select.select([0, host, far], [], [], timeout)
    now = time.monotonic()
    for fd in readable:
        if fd == 0:
            data = os.read(0, 4096)
            if not data:
                sys.exit(0)
            commands += data
            while b"\n" in commands:
                line, commands = commands.split(b"\n", 1)
                words = line.split()
                if words[0] == b"cut":
                    cut = True
                    pending.clear()
                    queued = {host: 0, far: 0}
                else:
                    delay, jitter, loss, rate = map(float, words[1:5])
                    limit, cut = int(words[5]), False
                print("ok", flush=True)
            continue
        while True:
            try:
                packet = os.read(fd, 65536)
            except BlockingIOError:
                break
            if cut or queued[fd] >= limit or random.random() < loss:
                continue
            start = max(now, free_at[fd])
            if rate:
                start += len(packet) * 8 / rate
                free_at[fd] = start
            due = start + max(0.0, delay + random.uniform(-jitter, jitter))
            heapq.heappush(pending, (due, sequence, fd, packet))
            sequence += 1
            queued[fd] += 1
    now = time.monotonic()
    while pending and pending[0][0] <= now:
        _, _, fd, packet = heapq.heappop(pending)
        queued[fd] -= 1
        try:
            os.write(peer[fd], packet)
        except OSError:
            pass
