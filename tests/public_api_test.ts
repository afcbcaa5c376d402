/**
 * The public API is exactly the curated list: the root export (the common
 * path) and each subpath export of deno.json. Compared with what each entry
 * really exports (types from `deno doc --json`, values from importing it), so
 * a symbol that leaks in or goes missing fails here; changing the API means
 * changing this list (and the README's migration note).
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

/** deno.json `exports` key → the symbols its entry exports, sorted. */
const CURATED: Record<string, string[]> = {
  ".": [
    "AddressMatch",
    "BpfMatch",
    "BpfSyntaxError",
    "BpfValidationCode",
    "BpfValidationError",
    "CaptureDecoderOptions",
    "CaptureFormatError",
    "Chain",
    "CommentMatch",
    "CompileFilterOptions",
    "CompileOptions",
    "CompileRuleSetOptions",
    "CompileStrategy",
    "CompiledProgram",
    "CompiledRuleSet",
    "FilterInterface",
    "FilterRejectsAllError",
    "FilterSyntaxError",
    "FrameRef",
    "Instruction",
    "InterfaceMatch",
    "Match",
    "PacketBatch",
    "PacketContext",
    "PacketCounter",
    "ParseRuleSetOptions",
    "Program",
    "ProtocolMatch",
    "RouterStats",
    "RouterStream",
    "RouterStreamOptions",
    "RouterTotals",
    "Rule",
    "RuleBase",
    "RuleSet",
    "RuleSetCounters",
    "RuleSetError",
    "U32Match",
    "WasmBatchOptions",
    "WasmFilter",
    "compile",
    "compileFilter",
    "compileRuleSet",
    "formatBytecode",
    "parseBytecode",
    "parseRuleSet",
  ],
  "./bpf": [
    "BPF_A",
    "BPF_ABS",
    "BPF_ADD",
    "BPF_ALU",
    "BPF_AND",
    "BPF_B",
    "BPF_DIV",
    "BPF_H",
    "BPF_IMM",
    "BPF_IND",
    "BPF_JA",
    "BPF_JEQ",
    "BPF_JGE",
    "BPF_JGT",
    "BPF_JMP",
    "BPF_JSET",
    "BPF_K",
    "BPF_LD",
    "BPF_LDX",
    "BPF_LEN",
    "BPF_LSH",
    "BPF_MAXINSNS",
    "BPF_MEM",
    "BPF_MEMWORDS",
    "BPF_MISC",
    "BPF_MOD",
    "BPF_MSH",
    "BPF_MUL",
    "BPF_NEG",
    "BPF_OR",
    "BPF_RET",
    "BPF_RSH",
    "BPF_ST",
    "BPF_STX",
    "BPF_SUB",
    "BPF_TAX",
    "BPF_TXA",
    "BPF_W",
    "BPF_X",
    "BPF_XOR",
    "BpfSyntaxError",
    "BpfValidationCode",
    "BpfValidationError",
    "CompileOptions",
    "CompileStrategy",
    "CompileWasmOptions",
    "CompiledProgram",
    "Instruction",
    "InterpretEnd",
    "InterpretObserver",
    "InterpretStep",
    "PacketBatch",
    "PacketContext",
    "Program",
    "SKF_AD_ALU_XOR_X",
    "SKF_AD_CPU",
    "SKF_AD_HATYPE",
    "SKF_AD_IFINDEX",
    "SKF_AD_MARK",
    "SKF_AD_MAX",
    "SKF_AD_NLATTR",
    "SKF_AD_NLATTR_NEST",
    "SKF_AD_OFF",
    "SKF_AD_PAY_OFFSET",
    "SKF_AD_PKTTYPE",
    "SKF_AD_PROTOCOL",
    "SKF_AD_QUEUE",
    "SKF_AD_RANDOM",
    "SKF_AD_RXHASH",
    "SKF_AD_VLAN_TAG",
    "SKF_AD_VLAN_TAG_PRESENT",
    "SKF_AD_VLAN_TPID",
    "SKF_LL_OFF",
    "SKF_NET_OFF",
    "Trace",
    "TraceStep",
    "ValidateOptions",
    "WasmBatchOptions",
    "WasmFilter",
    "XT_BPF_MAX_NUM_INSTR",
    "assemble",
    "bpfClass",
    "bpfMiscOp",
    "bpfMode",
    "bpfOp",
    "bpfRval",
    "bpfSize",
    "bpfSrc",
    "compile",
    "compileWasm",
    "disassemble",
    "formatBytecode",
    "interpret",
    "parseBytecode",
    "toAssembly",
    "trace",
    "validate",
  ],
  "./capture": [
    "ARPHRD_ETHER",
    "ARPHRD_LOOPBACK",
    "ARPHRD_NONE",
    "ARPHRD_VOID",
    "CaptureDecoder",
    "CaptureDecoderOptions",
    "CaptureDecoderStream",
    "CaptureEncoderStream",
    "CaptureEncoderStreamOptions",
    "CaptureFormatError",
    "CaptureInterface",
    "CapturedFrame",
    "DLT_RAW_12",
    "DLT_RAW_14",
    "ETH_P_8021AD",
    "ETH_P_8021Q",
    "ETH_P_IP",
    "ETH_P_IPV6",
    "ETH_P_QINQ1",
    "FrameDescriptor",
    "LINKTYPE_EN10MB",
    "LINKTYPE_ETHERNET",
    "LINKTYPE_IPV4",
    "LINKTYPE_IPV6",
    "LINKTYPE_LINUX_SLL",
    "LINKTYPE_LINUX_SLL2",
    "LINKTYPE_LOOP",
    "LINKTYPE_NULL",
    "LINKTYPE_RAW",
    "LinkFrame",
    "RecordBatch",
    "createFrameDescriptor",
    "describeFrame",
  ],
  "./filter": [
    "CompileFilterOptions",
    "FilterInterface",
    "FilterProgramStyle",
    "FilterRejectsAllError",
    "FilterSyntaxError",
    "compileFilter",
    "filterOptionsForInterface",
    "formatFilterProgram",
  ],
  "./u32": [
    "CompileU32Options",
    "U32Matcher",
    "U32Operation",
    "U32Operator",
    "U32Range",
    "U32SyntaxCode",
    "U32SyntaxError",
    "U32Test",
    "U32ToBpfOptions",
    "XT_U32_MAXSIZE",
    "compileU32",
    "formatU32",
    "parseU32",
    "u32ToBpf",
  ],
  "./rules": [
    "AddressMatch",
    "BpfMatch",
    "Chain",
    "CommentMatch",
    "CompileRuleSetAsyncOptions",
    "CompileRuleSetOptions",
    "CompiledRuleSet",
    "FrameContext",
    "FrameRef",
    "InterfaceMatch",
    "Match",
    "PacketCounter",
    "ParseRuleSetAsyncOptions",
    "ParseRuleSetOptions",
    "ProtocolMatch",
    "Rule",
    "RuleBase",
    "RuleSet",
    "RuleSetCounters",
    "RuleSetError",
    "U32Match",
    "compileRuleSet",
    "compileRuleSetAsync",
    "createFrameRef",
    "formatProtocol",
    "formatRuleSet",
    "parseRuleSet",
    "parseRuleSetAsync",
  ],
  "./stream": [
    "RouterFrameContext",
    "RouterStats",
    "RouterStream",
    "RouterStreamOptions",
    "RouterTotals",
  ],
  "./server": [
    "AppDeps",
    "AppLimits",
    "BpfstreamApp",
    "DurableObjectNamespaceLike",
    "DurableObjectRuleSetStore",
    "DurableObjectRuleSetStoreOptions",
    "DurableObjectStateLike",
    "DurableObjectStorageLike",
    "DurableObjectStoreError",
    "DurableObjectStubLike",
    "FetchHandler",
    "MemoryRuleSetStore",
    "RuleSetObject",
    "RuleSetPutResult",
    "RuleSetStore",
    "RuleSetSummary",
    "StoredRuleSet",
    "WORKBENCH_CSP",
    "WorkbenchAssets",
    "createApp",
    "isLoopback",
    "withReadAhead",
  ],
};

interface _Location {
  filename: string;
  line: number;
  col: number;
}

interface _DocSymbol {
  name: string;
  declarations: { kind: string; location: _Location; def?: { target?: _Location } }[];
}

function _at(location: _Location): string {
  return `${location.filename}:${location.line}:${location.col}`;
}

/**
 * `deno doc --json` of every entry at once: per entry, its symbols with the
 * kind of what each one is (a re-export of a symbol that another entry also
 * exports is a "reference"; it is resolved to the declaration it names).
 */
async function _documented(entries: string[]): Promise<Map<string, Map<string, string>>> {
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", ...entries],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));
  const doc = JSON.parse(new TextDecoder().decode(run.stdout)) as {
    nodes: Record<string, { symbols: _DocSymbol[] }>;
  };
  const kindAt = new Map<string, string>();
  for (const node of Object.values(doc.nodes)) {
    for (const symbol of node.symbols) {
      for (const d of symbol.declarations) {
        if (d.kind !== "reference") kindAt.set(_at(d.location), d.kind);
      }
    }
  }
  const byFile = new Map<string, Map<string, string>>();
  for (const [url, node] of Object.entries(doc.nodes)) {
    const kinds = new Map<string, string>();
    for (const symbol of node.symbols) {
      for (const d of symbol.declarations) {
        const kind = d.kind === "reference" && d.def?.target
          ? kindAt.get(_at(d.def.target))
          : d.kind;
        if (kind !== undefined && !kinds.has(symbol.name)) kinds.set(symbol.name, kind);
        if (kind === "function" || kind === "class" || kind === "variable") {
          kinds.set(symbol.name, kind);
        }
      }
    }
    byFile.set(url, kinds);
  }
  return byFile;
}

const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
const exportsMap = config.exports as Record<string, string>;

Deno.test("deno.json exports the root and the seven subpaths", () => {
  assert.deepEqual(Object.keys(exportsMap), Object.keys(CURATED));
});

Deno.test("each entry exports exactly its curated symbols, types and values", async (t) => {
  const entries = Object.values(exportsMap);
  const documented = await _documented(entries);
  for (const [key, entry] of Object.entries(exportsMap)) {
    await t.step(key, async () => {
      const url = new URL(entry, ROOT);
      const kinds = documented.get(url.href);
      assert.ok(kinds, `deno doc documents ${entry}`);
      assert.deepEqual([...kinds.keys()].sort(), CURATED[key]);
      const values = [...kinds].filter(([, kind]) =>
        ["function", "class", "variable"].includes(kind)
      )
        .map(([name]) => name);
      const runtime = Object.keys(await import(url.href)).sort();
      assert.deepEqual(runtime, values.sort());
      assert.deepEqual(runtime.filter((name) => name.startsWith("_")), []);
    });
  }
});

Deno.test("the subpath entries share one copy of each class with the root", async () => {
  const root = await import(new URL(exportsMap["."], ROOT).href);
  for (const [key, entry] of Object.entries(exportsMap)) {
    const module = await import(new URL(entry, ROOT).href);
    for (const name of Object.keys(module)) {
      if (name in root) assert.equal(module[name], root[name], `${key} ${name}`);
    }
  }
});
