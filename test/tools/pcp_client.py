# test/tools/pcp_client.py - a minimal PCP client (RFC 6887) for the netns tests, written from
# the RFC's message layouts (no PCP client is packaged in Debian 12):
#     python3 pcp_client.py SERVER CLIENT_IP announce
#     python3 pcp_client.py SERVER CLIENT_IP map tcp|udp INT_PORT EXT_PORT LIFETIME NONCE_HEX [prefer-failure]
# Sends one request to SERVER:5351 from CLIENT_IP (which it also writes in the client address
# field; both IPv4, or both IPv6), retransmitting as RFC 6887 §8.1.1 says (3 s, doubling) up to 3 times, and prints the
# reply as "result=R lifetime=L epoch=E" plus, for MAP, " nonce=N ext=ADDR:PORT", or "timeout".
import socket, struct, sys

server, client, cmd = sys.argv[1], sys.argv[2], sys.argv[3]

family = socket.AF_INET6 if ':' in server else socket.AF_INET

def v4mapped(a):
    if ':' in a:
        return socket.inet_pton(socket.AF_INET6, a)
    return b'\0' * 10 + b'\xff\xff' + socket.inet_aton(a)

if cmd == 'announce':
    req = struct.pack('>BBHI', 2, 0, 0, 0) + v4mapped(client)
else:
    proto = {'tcp': 6, 'udp': 17}[sys.argv[4]]
    iport, eport, life = int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
    nonce = bytes.fromhex(sys.argv[8])
    req = (struct.pack('>BBHI', 2, 1, 0, life) + v4mapped(client) + nonce +
           bytes([proto, 0, 0, 0]) + struct.pack('>HH', iport, eport) +
           v4mapped('::' if family == socket.AF_INET6 else '0.0.0.0'))
    if len(sys.argv) > 9 and sys.argv[9] == 'prefer-failure':
        req += bytes([2, 0, 0, 0])

s = socket.socket(family, socket.SOCK_DGRAM)
s.bind((client, 0))
s.connect((server, 5351))
timeout = 3.0
for attempt in range(3):
    s.send(req)
    s.settimeout(timeout)
    try:
        r = s.recv(1100)
        break
    except socket.timeout:
        timeout *= 2
else:
    print('timeout')
    sys.exit(1)
if len(r) < 24 or r[0] != 2 or r[1] != 0x80 | req[1]:
    print('bad reply %s' % r.hex())
    sys.exit(1)
result, life, epoch = r[3], struct.unpack('>I', r[4:8])[0], struct.unpack('>I', r[8:12])[0]
out = 'result=%d lifetime=%d epoch=%d' % (result, life, epoch)
if cmd == 'map' and len(r) >= 60:
    ext = r[44:60]
    addr = (socket.inet_ntoa(ext[12:]) if ext[:12] == b'\0' * 10 + b'\xff\xff'
            else socket.inet_ntop(socket.AF_INET6, ext))
    out += ' nonce=%s ext=%s:%d' % (r[24:36].hex(), addr, struct.unpack('>H', r[42:44])[0])
print(out)
