"""A network namespace of our own, joined to this one by a veth pair on a private /30: a place to put a PostgreSQL
server whose packets can be dropped (no RST, no FIN), as when a node dies or the network partitions.

Run as root. Only the two addresses of the /30 are used, on links that exist only inside this machine.
"""
from __future__ import annotations

import ipaddress
import random
import subprocess
import uuid


def _ip(*args: str, netns: str | None = None) -> str:
    cmd = ["ip", "netns", "exec", netns, "ip", *args] if netns else ["ip", *args]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def _free_slash30() -> ipaddress.IPv4Network:
    """A /30 in 10.200.0.0/13 that overlaps no address or route this machine has."""
    taken = [ipaddress.ip_network(word, strict=False) for word in _ip("-4", "route").split() if "/" in word]
    taken += [ipaddress.ip_interface(w).network for w in _ip("-4", "-o", "addr").split() if "/" in w and "." in w]
    for _ in range(100):
        net = ipaddress.ip_network(
            f"10.{random.randint(200, 207)}.{random.randint(0, 255)}.{4 * random.randint(0, 63)}/30"
        )
        if not any(net.overlaps(other) for other in taken):
            return net
    raise RuntimeError("no free /30 in 10.200.0.0/13")


class Netns:
    """`name`: the namespace; `address`: its end of the link (the server's); `peer`: this namespace's end."""

    def __init__(self) -> None:
        tag = uuid.uuid4().hex[:6]
        self.name, self.outside, self.inside = f"actors-{tag}", f"va{tag}o", f"va{tag}i"
        net = _free_slash30()
        self.peer, self.address = (str(h) for h in net.hosts())
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        try:
            _ip("link", "add", self.outside, "type", "veth", "peer", "name", self.inside)
            _ip("link", "set", self.inside, "netns", self.name)
            _ip("addr", "add", f"{self.peer}/30", "dev", self.outside)
            _ip("link", "set", self.outside, "up")
            _ip("addr", "add", f"{self.address}/30", "dev", self.inside, netns=self.name)
            _ip("link", "set", self.inside, "up", netns=self.name)
            _ip("link", "set", "lo", "up", netns=self.name)
        except BaseException:
            self.destroy()
            raise

    def _iptables(self, *args: str) -> None:
        subprocess.run(["ip", "netns", "exec", self.name, "iptables", *args], check=True, capture_output=True)

    def drop(self) -> None:
        """Every packet in or out of the namespace vanishes: nothing is refused, reset or closed."""
        self._iptables("-A", "INPUT", "-j", "DROP")
        self._iptables("-A", "OUTPUT", "-j", "DROP")

    def heal(self) -> None:
        self._iptables("-F", "INPUT")
        self._iptables("-F", "OUTPUT")

    def destroy(self) -> None:
        subprocess.run(["ip", "link", "del", self.outside], capture_output=True)
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)

    def __enter__(self) -> "Netns":
        return self

    def __exit__(self, *exc) -> None:
        self.destroy()
