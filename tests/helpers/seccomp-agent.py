#!/usr/bin/env python3
"""A tiny OCI seccomp agent for tests: listens on SOCKET, takes one
containerProcessState message with the listener fd (SCM_RIGHTS), writes the
JSON to STATE_OUT, then answers every notification with CONTINUE and
appends the syscall number to STATE_OUT.calls until the filter is gone."""
import array
import fcntl
import os
import select
import socket
import struct
import sys

NOTIF_RECV = 0xC0502100  # _IOWR('!', 0, struct seccomp_notif), 80 bytes
NOTIF_SEND = 0xC0182101  # _IOWR('!', 1, struct seccomp_notif_resp), 24 bytes
FLAG_CONTINUE = 1

path, out = sys.argv[1], sys.argv[2]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
conn, _ = srv.accept()
fds = array.array("i")
data = b""
while True:
    msg, anc, _, _ = conn.recvmsg(65536, socket.CMSG_SPACE(4 * fds.itemsize))
    for level, typ, cdata in anc:
        if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
            fds.frombytes(cdata[: len(cdata) - (len(cdata) % fds.itemsize)])
    if not msg:
        break
    data += msg
    if data.count(b"{") == data.count(b"}"):
        break
with open(out, "wb") as f:
    f.write(data)
if not fds:
    sys.exit(1)
lfd = fds[0]
poll = select.poll()
poll.register(lfd, select.POLLIN)
while True:
    ev = poll.poll()
    if not any(e & select.POLLIN for _, e in ev):
        break
    buf = bytearray(80)
    try:
        fcntl.ioctl(lfd, NOTIF_RECV, buf)
    except OSError:
        continue
    nid = struct.unpack_from("=Q", buf, 0)[0]
    nr = struct.unpack_from("=i", buf, 16)[0]
    with open(out + ".calls", "a") as f:
        f.write("%d\n" % nr)
    resp = bytearray(struct.pack("=QqiI", nid, 0, 0, FLAG_CONTINUE))
    try:
        fcntl.ioctl(lfd, NOTIF_SEND, resp)
    except OSError:
        pass
