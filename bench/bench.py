#!/usr/bin/env python3
"""bench/bench.py - the non-shell half of bench/run.sh (standard library only; matplotlib is
optional for the PNG). Subcommands:

  pingstats           ping output on stdin -> "median_ms p99_ms replies loss_pct"
  iperf-tcp FILE      iperf3 -J of a TCP client -> "gbps retransmits seconds"
  iperf-udp FILE LEN  iperf3 -J of a UDP client -> "rx_kpps offered_kpps loss_pct seconds"
  handshakes ...      closed-loop handshake driver (run inside the initiator's namespace)
  firstreply ...      echo every --interval s until the first reply: a new client's handshake time
  report ...          medians/spreads/ratios table, results JSON, optional PNG

Run by run.sh only; every subcommand is bounded in time by its caller or by its arguments.
"""

import argparse
import base64
import json
import math
import os
import re
import select
import socket
import statistics
import struct
import sys
import time


def fail(msg):
    print("bench.py: " + msg, file=sys.stderr)
    sys.exit(1)


def percentile(values, p):
    """Linear-interpolated percentile, p in 0..100 (values need not be sorted)."""
    v = sorted(values)
    if not v:
        return float("nan")
    k = (len(v) - 1) * p / 100.0
    lo = math.floor(k)
    hi = math.ceil(k)
    if lo == hi:
        return v[lo]
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


# ---------------------------------------------------------------- parsers for run.sh

def cmd_pingstats(_args):
    rtts = []
    sent = None
    for line in sys.stdin:
        if "time=" in line and "bytes from" in line:
            rtts.append(float(line.split("time=")[1].split()[0]))
        elif "packets transmitted" in line:
            sent = int(line.split()[0])
    if not rtts or not sent:
        print("nan nan 0 100")
        return
    loss = 100.0 * (sent - len(rtts)) / sent
    print("%.4f %.4f %d %.2f" % (statistics.median(rtts), percentile(rtts, 99), len(rtts), loss))


def load_iperf(path):
    try:
        with open(path) as f:
            d = json.load(f)
    except (OSError, ValueError) as e:
        fail("cannot read iperf3 JSON %s: %s" % (path, e))
    if d.get("error"):
        fail("iperf3: %s" % d["error"])
    return d


def cmd_iperf_tcp(args):
    d = load_iperf(args.file)
    rx = d["end"]["sum_received"]
    tx = d["end"]["sum_sent"]
    print("%.4f %d %.3f" % (rx["bits_per_second"] / 1e9, tx.get("retransmits", 0), rx["seconds"]))


def cmd_iperf_udp(args):
    d = load_iperf(args.file)
    tx = d["end"]["sum_sent"]
    rx = d["end"]["sum_received"]
    secs = tx["seconds"] or 1e-9
    sent = tx["packets"]
    # The receiver's byte count is what arrived; its "packets" is the highest sequence seen.
    got = rx["bytes"] / float(args.len)
    loss = 100.0 * (1.0 - got / sent) if sent else 100.0
    print("%.3f %.3f %.3f %.3f" % (got / secs / 1e3, sent / secs / 1e3, max(loss, 0.0), secs))


# ---------------------------------------------------------------- handshake driver

def b64_to_hex(k):
    raw = base64.b64decode(k)
    if len(raw) != 32:
        fail("bad key " + k)
    return raw.hex()


class Uapi:
    """One request per connection: works with any UAPI server, costs both daemons the same."""

    def __init__(self, path):
        self.path = path

    def request(self, text):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(3.0)
        try:
            s.connect(self.path)
            s.sendall(text.encode())
            buf = b""
            while b"\n\n" not in buf:
                chunk = s.recv(4096)
                if not chunk:
                    break
                buf += chunk
        finally:
            s.close()
        errno = None
        for line in buf.decode(errors="replace").splitlines():
            if line.startswith("errno="):
                errno = int(line[6:])
        if errno != 0:
            raise RuntimeError("UAPI %s: errno=%s for %r" % (self.path, errno, text.split("\n")[0]))
        return buf.decode(errors="replace")


def icmp_checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return (~s) & 0xFFFF


class Pinger:
    """ICMP echo over a raw socket: one request, wait for the matching reply."""

    def __init__(self, dst):
        self.dst = dst
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        self.ident = os.getpid() & 0xFFFF
        self.seq = 0

    def ping(self, timeout):
        self.seq = (self.seq + 1) & 0xFFFF
        payload = b"uwg-bench-hs" + bytes(44)
        hdr = struct.pack("!BBHHH", 8, 0, 0, self.ident, self.seq)
        pkt = struct.pack("!BBHHH", 8, 0, icmp_checksum(hdr + payload), self.ident, self.seq) + payload
        t0 = time.perf_counter()
        self.sock.sendto(pkt, (self.dst, 0))
        deadline = t0 + timeout
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                return None
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                return None
            data, _ = self.sock.recvfrom(2048)
            ihl = (data[0] & 0x0F) * 4
            if len(data) < ihl + 8:
                continue
            typ, _code, _ck, ident, seq = struct.unpack("!BBHHH", data[ihl:ihl + 8])
            if typ == 0 and ident == self.ident and seq == self.seq:
                return time.perf_counter() - t0


def cmd_handshakes(args):
    """Closed loop, one handshake at a time, for a fixed time:
    remove the peer on both daemons and re-add it (so neither has any session or handshake
    state left, and the responder's replay/flood state for that peer is fresh), then send one
    ICMP echo from the initiator's side. The echo can only come back after a complete new
    handshake (initiation, response, first data packet confirming the responder's keys), so
    every reply is a completed handshake. A cycle without a reply within --timeout counts as
    failed (a daemon retries only after REKEY_TIMEOUT, 5 s) and costs the loop that timeout.
    Reports completions/s over the whole loop, the first-ping RTT (handshake + one tunnel
    round trip, without the UAPI part), the UAPI time and the whole successful cycle."""
    a = Uapi(args.sock_a)
    b = Uapi(args.sock_b)
    pub_a = b64_to_hex(args.pub_a)
    pub_b = b64_to_hex(args.pub_b)
    rm_on_a = "set=1\npublic_key=%s\nremove=true\n\n" % pub_b
    rm_on_b = "set=1\npublic_key=%s\nremove=true\n\n" % pub_a
    add_on_a = "set=1\npublic_key=%s\nendpoint=%s\nallowed_ip=%s\n\n" % (pub_b, args.ep_b, args.aip_b)
    add_on_b = "set=1\npublic_key=%s\nendpoint=%s\nallowed_ip=%s\n\n" % (pub_a, args.ep_a, args.aip_a)
    pinger = Pinger(args.dst)
    ok = 0
    failed = 0
    rtts = []
    uapi_times = []
    cycles = []
    t_start = time.perf_counter()
    t_end = t_start + args.duration
    while time.perf_counter() < t_end and ok + failed < args.max_cycles:
        t0 = time.perf_counter()
        a.request(rm_on_a)
        b.request(rm_on_b)
        b.request(add_on_b)
        a.request(add_on_a)
        uapi_times.append(time.perf_counter() - t0)
        rtt = pinger.ping(args.timeout)
        if rtt is None:
            failed += 1
        else:
            ok += 1
            rtts.append(rtt)
            cycles.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - t_start
    out = {
        "completed": ok,
        "failed": failed,
        "seconds": elapsed,
        "per_s": ok / elapsed if elapsed > 0 else 0.0,
        "first_rtt_ms_median": statistics.median(rtts) * 1e3 if rtts else None,
        "first_rtt_ms_p90": percentile(rtts, 90) * 1e3 if rtts else None,
        "uapi_ms_median": statistics.median(uapi_times) * 1e3 if uapi_times else None,
        "cycle_ms_median": statistics.median(cycles) * 1e3 if cycles else None,
    }
    print(json.dumps(out))


def cmd_firstreply(args):
    """A new client's first handshake, seen from outside: an ICMP echo to --dst every --interval
    seconds (the daemon stages them and initiates), until any of them is answered or --timeout
    passes. Prints the seconds from the first echo to the first reply (null if none) and the
    echoes sent. The reply can only come after a complete handshake, whatever the responder did
    on the way (cookie reply, retries after REKEY_TIMEOUT)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    ident = os.getpid() & 0xFFFF
    payload = b"uwg-bench-new" + bytes(43)
    sent = 0
    first = None
    t0 = time.perf_counter()
    next_send = t0
    while first is None:
        now = time.perf_counter()
        if now - t0 >= args.timeout:
            break
        if now >= next_send:
            sent += 1
            seq = sent & 0xFFFF
            hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
            sock.sendto(struct.pack("!BBHHH", 8, 0, icmp_checksum(hdr + payload), ident, seq) + payload,
                        (args.dst, 0))
            next_send += args.interval
        wait = max(0.0, min(next_send, t0 + args.timeout) - time.perf_counter())
        r, _, _ = select.select([sock], [], [], wait)
        if not r:
            continue
        data, _ = sock.recvfrom(2048)
        ihl = (data[0] & 0x0F) * 4
        if len(data) >= ihl + 8:
            typ, _code, _ck, rid, _seq = struct.unpack("!BBHHH", data[ihl:ihl + 8])
            if typ == 0 and rid == ident:
                first = time.perf_counter() - t0
    print(json.dumps({"first_reply_s": round(first, 3) if first is not None else None, "sent": sent,
                      "timeout_s": args.timeout}))


def cmd_uapi_stats(args):
    """uwg's stats=1 extension: prints its non-zero counters as name=value; prints nothing for
    a daemon without it (wireguard-go closes the connection on an unknown operation)."""
    try:
        text = Uapi(args.sock).request("stats=1\n\n")
    except (OSError, RuntimeError):
        return
    for line in text.splitlines():
        k, sep, v = line.partition("=")
        if sep and k != "errno" and v.isdigit() and int(v) != 0:
            print("%s=%s" % (k, v))


# ---------------------------------------------------------------- report

# The peers scenario's metrics, per device size N found in the data: peers_<N>_<suffix>.
PEERS_METRICS = [
    ("configured", "peers the daemon took (of N)", "count", "hi"),
    ("setconf_s", "wg addconf of the peers", "s", "lo"),
    ("rss_mb", "RSS of B with them", "MB", "lo"),
    ("kib_per_peer", "  RSS per idle peer (above B before)", "KiB", "lo"),
    ("dump_s", "wg show dump (best of 3)", "s", "lo"),
    ("tcp_base_gbps", "TCP 1 stream, B with one peer", "Gbit/s", "hi"),
    ("tcp_gbps", "TCP 1 stream through one peer of N + 1", "Gbit/s", "hi"),
    ("tcp_kept_pct", "  share of the one-peer figure", "%", "hi"),
    ("storm_per_s", "handshake storm: completed per second", "1/s", "hi"),
    ("storm_completed", "  completed", "count", "hi"),
    ("storm_failed", "  failed", "count", "lo"),
    ("storm_cookie_replies", "  cookie replies", "count", ""),
    ("storm_gen_cpu_s", "  the generator's CPU", "s", ""),
    ("rss_storm_mb", "RSS of B after the storm", "MB", "lo"),
    ("remove_s", "wg syncconf removing them all", "s", "lo"),
]


def peers_metrics(raw):
    sizes = sorted({int(r["metric"].split("_")[1]) for r in raw
                    if re.match(r"peers_[0-9]+_", r["metric"])})
    rows = []
    for n in sizes:
        for suffix, label, unit, better in PEERS_METRICS:
            rows.append(("peers_%d_%s" % (n, suffix), "peers %d: %s" % (n, label), unit, better))
    return rows


# key, label, unit, which direction is better ("hi"/"lo"/"" = informational)
METRICS = [
    ("tcp1_gbps", "TCP 1 stream goodput", "Gbit/s", "hi"),
    ("tcp1_cpu_per_gbps", "TCP 1 stream: daemon CPU per Gbit/s (A+B)", "cores", "lo"),
    ("tcp1_cpu_cores", "TCP 1 stream: daemon CPU (A+B)", "cores", ""),
    ("tcp1_retrans", "TCP 1 stream retransmits", "segments", "lo"),
    ("tcp4_gbps", "TCP 4 streams goodput", "Gbit/s", "hi"),
    ("tcp4_cpu_per_gbps", "TCP 4 streams: daemon CPU per Gbit/s", "cores", "lo"),
    ("tcp4_retrans", "TCP 4 streams retransmits", "segments", "lo"),
    ("tcp1v6_gbps", "TCP 1 stream goodput, IPv6 inside", "Gbit/s", "hi"),
    ("tcp1v6_cpu_per_gbps", "TCP 1 stream IPv6: daemon CPU per Gbit/s", "cores", "lo"),
    ("tcp4v6_gbps", "TCP 4 streams goodput, IPv6 inside", "Gbit/s", "hi"),
    ("tcp4v6_cpu_per_gbps", "TCP 4 streams IPv6: daemon CPU per Gbit/s", "cores", "lo"),
    ("udp1380_rx_kpps", "UDP 1380 B flood: received", "kpps", "hi"),
    ("udp1380_loss_pct", "UDP 1380 B flood: loss", "%", "lo"),
    ("udp1380_offered_kpps", "UDP 1380 B flood: offered", "kpps", ""),
    ("udpknee_kpps", "UDP 1380 B, iperf3: most received at < 1 % loss", "kpps", "hi"),
    ("udpknee_rate_mbps", "  offered rate of that step", "Mbit/s", ""),
    ("blastknee_kpps", "UDP 1380 B, sendmmsg load: most at < 1 % loss", "kpps", "hi"),
    ("blastknee_rate_kpps", "  offered rate of that step", "kpps", ""),
    ("udp64_rx_kpps", "UDP 64 B flood: received", "kpps", "hi"),
    ("udp64_loss_pct", "UDP 64 B flood: loss", "%", "lo"),
    ("udp64_offered_kpps", "UDP 64 B flood: offered", "kpps", ""),
    ("ping_median_ms", "ping RTT median", "ms", "lo"),
    ("ping_p99_ms", "ping RTT p99", "ms", "lo"),
    ("hs_per_s", "handshakes completed per second", "1/s", "hi"),
    ("hs_first_rtt_ms", "handshake + first RTT (median)", "ms", "lo"),
    ("hs_cycle_ms", "successful handshake cycle (median)", "ms", "lo"),
    ("hs_uapi_ms", "  of which 4 UAPI sets (median)", "ms", "lo"),
    ("hs_cpu_us", "daemon CPU per handshake cycle (A+B)", "us", "lo"),
    ("hs_failed", "handshake cycles without reply", "count", "lo"),
    ("hsflood_base_gbps", "hsflood: TCP 1 stream, no flood", "Gbit/s", "hi"),
    ("hsflood_paced_gbps", "hsflood: TCP under the paced flood", "Gbit/s", "hi"),
    ("hsflood_paced_kept_pct", "  share of that block's baseline", "%", "hi"),
    ("hsflood_full_gbps", "hsflood: TCP under the full-rate flood", "Gbit/s", "hi"),
    ("hsflood_full_kept_pct", "  share of that block's baseline", "%", "hi"),
    ("hsflood_paced_flood_kpps", "hsflood: paced flood, initiations sent", "kpps", ""),
    ("hsflood_full_flood_kpps", "hsflood: full-rate flood, initiations sent", "kpps", ""),
    ("hsflood_paced_flood_replies_per_s", "hsflood: cookie replies to the flooder, paced", "1/s", "lo"),
    ("hsflood_full_flood_replies_per_s", "hsflood: cookie replies to the flooder, full", "1/s", "lo"),
    ("hsflood_paced_flood_cpu_cores", "hsflood: the flooder's own CPU, paced", "cores", ""),
    ("hsflood_full_flood_cpu_cores", "hsflood: the flooder's own CPU, full rate", "cores", ""),
    ("hsflood_base_ping_loss_pct", "hsflood: ping loss alongside TCP, no flood", "%", "lo"),
    ("hsflood_paced_ping_loss_pct", "hsflood: ping loss, paced flood", "%", "lo"),
    ("hsflood_full_ping_loss_pct", "hsflood: ping loss, full-rate flood", "%", "lo"),
    ("hsflood_full_ping_p99_ms", "hsflood: ping p99, full-rate flood", "ms", "lo"),
    ("hsflood_paced_cpu_b_cores", "hsflood: daemon B CPU, paced flood + TCP", "cores", ""),
    ("hsflood_full_cpu_b_cores", "hsflood: daemon B CPU, full flood + TCP", "cores", ""),
    ("hsflood_client_s", "hsflood: new client's handshake (first reply)", "s", "lo"),
    ("hsflood_client_ok", "  within 10 s (1 = yes)", "", "hi"),
    ("hsflood_rss_peak_b_mb", "hsflood: RSS peak of B (VmHWM)", "MB", "lo"),
    ("rss_idle_a_mb", "RSS idle, daemon A", "MB", "lo"),
    ("rss_idle_b_mb", "RSS idle, daemon B", "MB", "lo"),
    ("rss_peak_tcp_a_mb", "RSS peak through TCP, A (VmHWM)", "MB", "lo"),
    ("rss_peak_tcp_b_mb", "RSS peak through TCP, B (VmHWM)", "MB", "lo"),
    ("rss_peak_udp_a_mb", "RSS peak during UDP floods, A", "MB", "lo"),
    ("rss_peak_udp_b_mb", "RSS peak during UDP floods, B", "MB", "lo"),
]


def spread(values):
    vals = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if not vals:
        return None
    s = {
        "n": len(vals),
        "values": vals,
        "median": statistics.median(vals),
        "min": min(vals),
        "max": max(vals),
    }
    if len(vals) >= 4:
        s["q1"] = percentile(vals, 25)
        s["q3"] = percentile(vals, 75)
    return s


def fmt(x):
    if x is None:
        return "-"
    ax = abs(x)
    if ax == 0:
        return "0"
    if ax >= 1000:
        return "%.0f" % x
    if ax >= 100:
        return "%.1f" % x
    if ax >= 10:
        return "%.2f" % x
    if ax >= 0.01:
        return "%.3f" % x
    return "%.2g" % x


def cell(s):
    if not s:
        return "-"
    return "%s [%s-%s]" % (fmt(s["median"]), fmt(s["min"]), fmt(s["max"]))


def ratio_of(sa, sb):
    if not sa or not sb:
        return None
    if sb["median"] == 0:
        return None if sa["median"] != 0 else 1.0
    return sa["median"] / sb["median"]


def print_table(rows, header):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths))
    print(line.rstrip())
    print("-" * len(line.rstrip()))
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())


def cmd_report(args):
    if args.from_json:
        # Re-print the table (and redraw the PNG) of an earlier run.
        with open(args.from_json) as f:
            saved = json.load(f)
        env, raw, micro = saved["env"], saved["raw"], saved.get("micro", [])
        args.out = args.out or args.from_json
    else:
        if not (args.env and args.raw and args.out):
            fail("report needs --env, --raw and --out (or --from-json)")
        with open(args.env) as f:
            env = json.load(f)
        raw = []
        with open(args.raw) as f:
            for line in f:
                line = line.strip()
                if line:
                    raw.append(json.loads(line))
        micro = []
        if args.micro and os.path.exists(args.micro):
            with open(args.micro) as f:
                for line in f:
                    line = line.strip()
                    if line.startswith("{"):
                        micro.append(json.loads(line))
    la, lb = env["label_a"], env["label_b"]
    summary = {}
    rows = []
    for key, label, unit, better in METRICS + peers_metrics(raw):
        va = [r["value"] for r in raw if r["metric"] == key and r["slot"] == "a"]
        vb = [r["value"] for r in raw if r["metric"] == key and r["slot"] == "b"]
        if not va and not vb:
            continue
        sa, sb = spread(va), spread(vb)
        ratio = ratio_of(sa, sb)
        summary[key] = {"label": label, "unit": unit, "better": better, "a": sa, "b": sb,
                        "ratio_a_over_b": ratio}
        rows.append([label, unit, cell(sa), cell(sb), fmt(ratio) if ratio is not None else "-",
                     {"hi": "higher", "lo": "lower", "": ""}[better]])
    print()
    print("uwg benchmark: %s (A) vs %s (B), %s reps x %s s, order %s, offloads %s, pin %s"
          % (la, lb, env["reps"], env["duration_s"], env["order"], env["offloads"], env["pin"]))
    print("A = %s" % env["bin_a"])
    print("B = %s" % env["bin_b"])
    for k in ("veth_offloads", "tun_offloads_a", "tun_offloads_b"):
        if env.get(k):
            print("%s: %s" % (k, env[k]))
    print("cells: median [min-max] over repetitions; ratio = median A / median B")
    print()
    print_table(rows, ["metric", "unit", la + " (A)", lb + " (B)", "A/B", "better"])
    if micro:
        print()
        print("micro-benchmarks (one core, uwg libraries built Release; median of runs)")
        mrows = []
        for m in micro:
            if m.get("suite") == "crypto_env":
                print("  libsodium %s, avx2=%s avx512f=%s, OpenSSL: %s"
                      % (m["sodium"], m["avx2"], m["avx512f"], m["openssl"] or "not built"))
                continue
            extra = ""
            if m.get("name", "").startswith(("aead", "blake2")):
                extra = "%.2f Gbit/s" % m["gbit_s"]
            elif "steps_us" in m:
                extra = " ".join("%s=%.1fus" % (k, v) for k, v in m["steps_us"].items())
            mrows.append([m["name"], m["bytes"] or "", fmt(m["ops_per_s"]),
                          "%s-%s" % (fmt(m["min"]), fmt(m["max"])),
                          "%.0f ns" % (1e9 / m["ops_per_s"]), extra])
        print_table(mrows, ["benchmark", "bytes", "ops/s", "range", "per op", ""])
    result = {"env": env, "summary": summary, "raw": raw, "micro": micro}
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
    print()
    print("JSON: %s" % args.out)
    if args.plot != "0":
        write_plot(args, summary, env, la, lb)


def write_plot(args, summary, env, la, lb):
    png = os.path.splitext(args.out)[0] + ".png"
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError:
        if args.plot == "1":
            print("plot: matplotlib missing (apt-get install python3-matplotlib)")
        return
    items = [(k, v) for k, v in summary.items() if v["ratio_a_over_b"] is not None and v["better"]]
    if not items:
        return
    labels = [v["label"].strip() for _, v in items][::-1]
    ratios = [v["ratio_a_over_b"] for _, v in items][::-1]
    # Green where A is better than B in that metric's direction; bars grow from 1.0.
    colors = []
    for (_, v), r in zip(items[::-1], ratios):
        good = r >= 1.0 if v["better"] == "hi" else r <= 1.0
        colors.append("tab:green" if good else "tab:red")
    fig, ax = plt.subplots(figsize=(13, 0.35 * len(items) + 1.5))
    span = max([abs(math.log(r)) for r in ratios if r > 0] + [math.log(1.25)]) * 1.25
    # A ratio of 0 (e.g. no retransmits at all) is drawn to the edge; its label says 0.
    drawn = [min(max(r, math.exp(-span)), math.exp(span)) for r in ratios]
    ax.barh(labels, [r - 1.0 for r in drawn], left=1.0, color=colors)
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_xscale("log")
    ax.set_xlim(math.exp(-span), math.exp(span))
    ax.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%.2g"))
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xticks([t for t in (0.1, 0.2, 0.5, 0.8, 1.0, 1.25, 2, 5, 10)
                   if math.exp(-span) <= t <= math.exp(span)])
    ax.set_xlabel("median %s / median %s (log scale; green = %s better)" % (la, lb, la))
    ax.set_title("%s vs %s, %s reps x %s s, veth offloads %s"
                 % (la, lb, env["reps"], env["duration_s"], env["offloads"]))
    for i, r in enumerate(ratios):
        clamped = drawn[i] != r
        ax.text(drawn[i], i, " %.2f " % r, va="center", fontsize=8,
                ha="left" if r >= 1 or clamped else "right",
                color="white" if clamped else "black")
    fig.subplots_adjust(left=0.36, right=0.97, top=0.95, bottom=0.07)
    fig.savefig(png, dpi=100)
    print("PNG: %s" % png)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("pingstats")
    s = sub.add_parser("iperf-tcp")
    s.add_argument("file")
    s = sub.add_parser("iperf-udp")
    s.add_argument("file")
    s.add_argument("len", type=int)
    s = sub.add_parser("handshakes")
    for a in ("sock-a", "sock-b", "pub-a", "pub-b", "ep-a", "ep-b", "aip-a", "aip-b", "dst"):
        s.add_argument("--" + a, required=True)
    s.add_argument("--duration", type=float, required=True)
    s.add_argument("--timeout", type=float, default=1.0)
    s.add_argument("--max-cycles", type=int, default=1000000)
    s = sub.add_parser("firstreply")
    s.add_argument("--dst", required=True)
    s.add_argument("--timeout", type=float, required=True)
    s.add_argument("--interval", type=float, default=0.2)
    s = sub.add_parser("uapi-stats")
    s.add_argument("sock")
    s = sub.add_parser("report")
    s.add_argument("--env")
    s.add_argument("--raw")
    s.add_argument("--micro")
    s.add_argument("--out")
    s.add_argument("--from-json", help="re-print an earlier results/*.json (and redraw its PNG)")
    s.add_argument("--plot", default="auto")
    args = p.parse_args()
    {"pingstats": cmd_pingstats, "iperf-tcp": cmd_iperf_tcp, "iperf-udp": cmd_iperf_udp,
     "handshakes": cmd_handshakes, "firstreply": cmd_firstreply, "uapi-stats": cmd_uapi_stats, "report": cmd_report}[args.cmd](args)


if __name__ == "__main__":
    main()
