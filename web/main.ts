/**
 * The rule-set workbench page: wires the editor, the capture panel (drop a
 * file, progress, totals, per-rule chart, downloads), the packet list, the
 * trace panel and the server panel. Filtering runs in `worker.js`.
 *
 * @module
 */
/// <reference lib="dom" />
import { byId, formatCount, setStatus } from "./dom.ts";
import { EditorView } from "./editor_view.ts";
import { renderCounters, renderTotals } from "./counters_view.ts";
import { PacketListView } from "./packet_list_view.ts";
import { renderTrace } from "./trace_view.ts";
import { ServerPanel } from "./server_panel.ts";
import { WorkerClient } from "./worker_client.ts";

const SAMPLE_RULES = `*filter
:INPUT DROP [0:0]
# Web traffic, in the tcpdump filter language (network base: offset 0 is the IP header).
-A INPUT -m bpf --expr "tcp dst port 80 or tcp dst port 443" -m comment --comment web -j ACCEPT
# DNS queries: udp dst port 53 as xt_bpf bytecode (bpfstream compile -y RAW udp dst port 53).
-A INPUT -m bpf --bytecode "19,48 0 0 0,84 0 0 240,21 0 4 96,48 0 0 6,21 0 13 17,40 0 0 42,21 10 11 53,48 0 0 0,84 0 0 240,21 0 8 64,48 0 0 9,21 0 6 17,40 0 0 6,69 4 0 8191,177 0 0 0,72 0 0 2,21 0 1 53,6 0 0 262144,6 0 0 0" -m comment --comment dns -j ACCEPT
# ICMP echo request, as an iptables u32 match.
-A INPUT -m u32 --u32 "6 & 0xFF = 1 && 4 & 0x3FFF = 0 && 0 >> 22 & 0x3C @ 0 >> 24 = 8" -j ACCEPT
# ARP has no IP header: only a link-base program sees it.
-A INPUT --base link -m bpf --bytecode "4,40 0 0 12,21 0 1 2054,6 0 0 262144,6 0 0 0" -j ACCEPT
-A INPUT -p udp -j DROP
COMMIT
`;

function start(): void {
  const editor = new EditorView({
    textarea: byId<HTMLTextAreaElement>("rules"),
    backdrop: byId("backdrop"),
    gutter: byId("gutter"),
    status: byId("rules-status"),
  });
  const worker = new WorkerClient(new URL("./worker.js", import.meta.url));
  const list = new PacketListView(
    { scroller: byId("packet-list"), spacer: byId("packet-spacer"), rows: byId("packet-rows") },
    (from, to) => worker.rows(from, to),
  );
  const captureStatus = byId("capture-status");
  const progress = byId<HTMLProgressElement>("progress");
  const dropZone = byId("drop-zone");
  const fileInput = byId<HTMLInputElement>("file-input");
  const downloads = {
    accepted: byId<HTMLAnchorElement>("download-accepted"),
    dropped: byId<HTMLAnchorElement>("download-dropped"),
  };
  const traceNode = byId("trace");
  let capture: File | undefined;
  let running = false;
  let rerun = false;
  let lastText = "";
  let format = "pcap";
  let counts = { accepted: 0, dropped: 0 };

  const run = () => {
    const check = editor.check;
    if (!capture || !check) return;
    if (!check.ok) {
      setStatus(captureStatus, "Fix the rule set to filter the capture", "error");
      return;
    }
    if (running) {
      rerun = true;
      return;
    }
    running = true;
    lastText = editor.text;
    downloads.accepted.hidden = downloads.dropped.hidden = true;
    document.body.dataset.state = "filtering";
    progress.hidden = false;
    progress.value = 0;
    setStatus(captureStatus, `Filtering ${capture.name} (${formatCount(capture.size)} bytes) …`);
    worker.filter(capture, editor.text);
  };

  worker.onProgress = (p) => {
    progress.value = p.totalBytes === 0 ? 1 : p.bytesRead / p.totalBytes;
    setStatus(
      captureStatus,
      `Filtering … ${formatCount(p.packets)} packets, ${Math.round(progress.value * 100)}%`,
    );
  };
  worker.onDone = (done) => {
    running = false;
    progress.value = 1;
    const seconds = done.elapsedMs / 1000;
    const rate = seconds > 0 ? done.totalBytes / seconds / 1e6 : 0;
    setStatus(
      captureStatus,
      done.error
        ? `The capture is bad after ${formatCount(done.packets)} packets: ${done.error}`
        : `Filtered ${formatCount(done.packets)} packets (${done.format}) in ${
          seconds.toFixed(2)
        } s, ${rate.toFixed(0)} MB/s`,
      done.error ? "error" : "ok",
    );
    document.body.dataset.elapsedMs = String(done.elapsedMs);
    delete document.body.dataset.indexMs;
    renderTotals(byId("totals"), done);
    const check = editor.check;
    const policies: Record<string, string | null> = {};
    if (check?.ok) {
      for (const chain of check.rules.ruleSet.chains) policies[chain.name] = chain.policy;
    }
    renderCounters(byId("chart"), done.counters, done.labels, policies);
    format = done.format;
    counts = { accepted: done.accepted.packets, dropped: done.dropped.packets };
    list.reset(done.packets, done.labels);
    traceNode.replaceChildren();
    document.body.dataset.state = done.error ? "failed" : "done";
    if (rerun) {
      rerun = false;
      run();
    }
  };
  worker.onCaptures = (captures) => {
    if (running) return; // a newer run started: its own captures follow
    const base = (capture?.name ?? "capture").replace(/\.(pcapng|pcap|cap)$/i, "");
    const extension = format === "pcapng" ? "pcapng" : "pcap";
    for (const side of ["accepted", "dropped"] as const) {
      const link = downloads[side];
      if (link.href) URL.revokeObjectURL(link.href);
      link.href = URL.createObjectURL(captures[side]);
      link.download = `${base}-${side}.${extension}`;
      link.textContent = `Download ${side} (${formatCount(counts[side])} packets)`;
      link.hidden = false;
    }
  };
  worker.onIndexed = (elapsedMs) => {
    document.body.dataset.indexMs = String(elapsedMs);
  };
  worker.onError = (message) => {
    running = false;
    document.body.dataset.state = "failed";
    setStatus(captureStatus, message, "error");
  };
  list.onSelect = async (index) => {
    const trace = await worker.trace(index);
    if (trace) renderTrace(traceNode, trace);
  };

  const take = (file: File | undefined) => {
    if (!file) return;
    capture = file;
    run();
  };
  fileInput.addEventListener("change", () => take(fileInput.files?.[0]));
  dropZone.addEventListener("dragover", (event) => {
    event.preventDefault();
    dropZone.classList.add("over");
  });
  dropZone.addEventListener("dragleave", () => dropZone.classList.remove("over"));
  dropZone.addEventListener("drop", (event) => {
    event.preventDefault();
    dropZone.classList.remove("over");
    take(event.dataTransfer?.files[0]);
  });
  // A rule-set change re-filters the capture once the text is valid.
  editor.onCheck((check) => {
    if (check.ok && capture && editor.text !== lastText) run();
  });

  const panel = new ServerPanel(
    {
      form: byId<HTMLFormElement>("server-form"),
      token: byId<HTMLInputElement>("token"),
      name: byId<HTMLInputElement>("ruleset-name"),
      save: byId<HTMLButtonElement>("save-ruleset"),
      refresh: byId<HTMLButtonElement>("refresh-rulesets"),
      status: byId("server-status"),
      table: byId<HTMLTableElement>("ruleset-table"),
      counters: byId("server-counters"),
    },
    editor,
    new URL("./", location.href),
  );
  editor.text = SAMPLE_RULES;
  lastText = editor.text;
  if (location.protocol.startsWith("http")) panel.refresh(true);
  document.body.dataset.ready = "true";
}

start();
