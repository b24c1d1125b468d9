"""Just enough of a TURN client (RFC 5766 over UDP) to test coturn's rules for real: Allocate
with a long-term credential, and CreatePermission towards a peer address. Each answers
(code, reason): code 0 is success, else the TURN error code (403 Forbidden IP, 486 quota...)."""

import base64
import hashlib
import hmac
import ipaddress
import os
import socket
import struct
from collections.abc import Callable

COOKIE = 0x2112A442
ALLOCATE, CREATE_PERMISSION = 0x0003, 0x0008
USERNAME, MESSAGE_INTEGRITY, ERROR_CODE, REALM, NONCE = 0x0006, 0x0008, 0x0009, 0x0014, 0x0015
XOR_PEER_ADDRESS, REQUESTED_ADDRESS_FAMILY, REQUESTED_TRANSPORT = 0x0012, 0x0017, 0x0019


def rest_credential(secret: str, username: str) -> str:
    """coturn's use-auth-secret password for ``username`` ("expiry:handle")."""
    return base64.b64encode(hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()).decode()


def _attr(kind: int, value: bytes) -> bytes:
    return struct.pack("!HH", kind, len(value)) + value + b"\0" * (-len(value) % 4)


def _xor_address(address: str, port: int, tid: bytes) -> bytes:
    ip = ipaddress.ip_address(address)
    key = struct.pack("!I", COOKIE) + (tid if ip.version == 6 else b"")
    xored = bytes(a ^ b for a, b in zip(ip.packed, key, strict=False))
    return struct.pack("!BBH", 0, 1 if ip.version == 4 else 2, port ^ (COOKIE >> 16)) + xored


class TurnClient:
    """One UDP socket to the TURN server: one client address, so one allocation."""

    def __init__(self, server: tuple[str, int], username: str, password: str, timeout: float = 3.0):
        self.server = server
        self.username = username
        self.password = password
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.settimeout(timeout)
        self.realm = b""
        self.nonce = b""

    def close(self) -> None:
        self.sock.close()

    def allocate(self, ipv6: bool = False) -> tuple[int, str]:
        family = _attr(REQUESTED_ADDRESS_FAMILY, bytes([2, 0, 0, 0])) if ipv6 else b""
        return self._request(ALLOCATE, lambda tid: _attr(REQUESTED_TRANSPORT, bytes([17, 0, 0, 0])) + family)

    def permit(self, peer: str) -> tuple[int, str]:
        return self._request(CREATE_PERMISSION, lambda tid: _attr(XOR_PEER_ADDRESS, _xor_address(peer, 9, tid)))

    def _request(self, method: int, attrs: Callable[[bytes], bytes]) -> tuple[int, str]:
        code, reason, found = self._send(method, attrs, signed=bool(self.nonce))
        if code in (401, 438):  # first contact, or a stale nonce: the answer names realm and nonce
            self.realm, self.nonce = found.get(REALM, self.realm), found.get(NONCE, self.nonce)
            code, reason, found = self._send(method, attrs, signed=True)
        return code, reason

    def _send(self, method: int, attrs: Callable[[bytes], bytes], signed: bool) -> tuple[int, str, dict[int, bytes]]:
        tid = os.urandom(12)
        body = attrs(tid)
        if signed:
            body += _attr(USERNAME, self.username.encode()) + _attr(REALM, self.realm) + _attr(NONCE, self.nonce)
            # The integrity covers the header with a length that already counts its own 24 bytes.
            key = hashlib.md5(f"{self.username}:{self.realm.decode()}:{self.password}".encode()).digest()
            header = struct.pack("!HHI", method, len(body) + 24, COOKIE) + tid
            body += _attr(MESSAGE_INTEGRITY, hmac.new(key, header + body, hashlib.sha1).digest())
        self.sock.sendto(struct.pack("!HHI", method, len(body), COOKIE) + tid + body, self.server)
        while True:
            data = self.sock.recv(4096)
            if data[8:20] == tid:
                break
        kind, length, _ = struct.unpack("!HHI", data[:8])
        found: dict[int, bytes] = {}
        at = 20
        while at < 20 + length:
            a, n = struct.unpack("!HH", data[at : at + 4])
            found[a] = data[at + 4 : at + 4 + n]
            at += 4 + n + (-n % 4)
        if kind & 0x0110 == 0x0110:  # an error response
            value = found[ERROR_CODE]
            return value[2] * 100 + value[3], value[4:].decode(errors="replace"), found
        return 0, "", found
