/// Attention forward O = softmax(Q K^T / sqrt(D)) V: `heads` query heads over [batch, heads, query_len, head_dim],
/// keys and values over [batch, kv_heads, seq_len, head_dim]. Grouped-query attention shares each key/value head
/// among heads / kv_heads query heads; decoding has a query length of 1 against a cache of `seq_len` keys. With a
/// causal mask the queries are the last `query_len` positions of the sequence.
public struct AttentionProblem: Hashable, Sendable {
    public var batch: Int
    public var heads: Int
    /// Key/value length (the cache's, when decoding).
    public var seqLen: Int
    public var headDim: Int
    public var causal: Bool
    public var dtype: ElementType
    /// Key/value heads; divides `heads` (equal: multi-head attention; 1: multi-query).
    public var kvHeads: Int
    /// Queries per sequence: `seq_len` for a prefill or training step, 1 for a decode step.
    public var queryLen: Int

    public init(batch: Int, heads: Int, seqLen: Int, headDim: Int, causal: Bool, dtype: ElementType,
                kvHeads: Int? = nil, queryLen: Int? = nil) {
        self.batch = batch
        self.heads = heads
        self.seqLen = seqLen
        self.headDim = headDim
        self.causal = causal
        self.dtype = dtype
        self.kvHeads = kvHeads ?? heads
        self.queryLen = queryLen ?? seqLen
    }

    /// Keys each query sees on average: all of them, or (causal) those up to its own position.
    public var keysPerQuery: Double {
        guard causal else { return Double(seqLen) }
        // The last query_len positions: the first sees seq_len - query_len + 1 keys, the last all of them. A full
        // square counts S / 2, as FLOP counts of causal attention do.
        return queryLen == seqLen ? Double(seqLen) / 2 : Double(seqLen - queryLen) + Double(queryLen + 1) / 2
    }

    /// Useful FLOPs (two products over the keys each query sees).
    public var flops: Double {
        4 * Double(batch) * Double(heads) * Double(queryLen) * keysPerQuery * Double(headDim)
    }

    /// Bytes of Q and O (per query head) and of K and V (per key/value head).
    public var tensorBytes: Double {
        let e = Double(dtype.bytes), d = Double(headDim), b = Double(batch)
        return 2 * b * Double(heads) * Double(queryLen) * d * e + 2 * b * Double(kvHeads) * Double(seqLen) * d * e
    }
}

public struct AttentionSchedule: Hashable, Sendable {
    public var variant: Variant
    /// Flash only (nil for naive).
    public var blockQ: Int?
    public var blockKV: Int?
    public var warps: Int?
    public var stages: Int?
    /// Flash only: blocks sharing one query tile, each over a slice of the keys, their partial outputs combined by a
    /// second kernel (flash-decoding); 1 walks all keys in one block.
    public var splitKV: Int
    /// Flash only: a persistent, warp-specialised kernel (FlashAttention-3, cuDNN's sm90 flash kernels): one block
    /// per SM loops over query tiles while a producer warpgroup loads key/value tiles and the other warpgroups
    /// take turns between their products and their softmax.
    public var persistent: Bool
    /// Flash only: the products run on mma.sync even where the tile and warps would allow wgmma (FlashAttention-2's
    /// kernels, written for Ampere, do on Hopper).
    public var mmaSync: Bool
    public var compiler: CompilerFacts

    /// Queries a flash block works on at once: `block_q`, or for a persistent block at least 64 per consumer
    /// warpgroup (its warps less the producer's four): several warpgroups split one query tile (FlashAttention-3's
    /// 128 rows for two) or each takes a tile of its own (cuDNN's 64-row tiles). Nil for naive.
    public var rowsAtOnce: Int? {
        guard let blockQ else { return nil }
        guard persistent, let warps else { return blockQ }
        return max(blockQ, 64 * ((warps - 4) / 4))
    }

    public enum Variant: String, CaseIterable, Hashable, Sendable {
        /// Three kernels: S = Q K^T (materialised), P = softmax(S), O = P V.
        case naive
        /// One kernel: query tiles walk key/value tiles with an online softmax.
        case flash
    }

    public init(
        variant: Variant, blockQ: Int? = nil, blockKV: Int? = nil, warps: Int? = nil, stages: Int? = nil,
        splitKV: Int = 1, persistent: Bool = false, mmaSync: Bool = false, compiler: CompilerFacts = .none
    ) {
        self.splitKV = splitKV
        self.persistent = persistent
        self.mmaSync = mmaSync
        self.variant = variant
        self.blockQ = blockQ
        self.blockKV = blockKV
        self.warps = warps
        self.stages = stages
        self.compiler = compiler
    }
}

/// Attention axes: `naive` is one candidate whatever the tile axes say; `flash` takes the cross product.
public struct AttentionAxes: Hashable, Sendable {
    public var variants: [AttentionSchedule.Variant]
    public var blockQ: [Int]
    public var blockKV: [Int]
    public var warps: [Int]
    public var stages: [Int]
    public var splitKV: [Int]
    public var persistent: [Bool]
    public var mmaSync: [Bool]

    public init(variants: [AttentionSchedule.Variant], blockQ: [Int], blockKV: [Int], warps: [Int], stages: [Int],
                splitKV: [Int] = [1], persistent: [Bool] = [false], mmaSync: [Bool] = [false]) {
        self.variants = variants
        self.persistent = persistent
        self.mmaSync = mmaSync
        self.blockQ = blockQ
        self.blockKV = blockKV
        self.warps = warps
        self.stages = stages
        self.splitKV = splitKV
    }

    var hasNaive: Bool { variants.contains(.naive) }
    var flashCount: Int {
        variants.contains(.flash)
            ? blockQ.count * blockKV.count * warps.count * stages.count * splitKV.count * persistent.count * mmaSync.count
            : 0
    }

    public var count: Int { (hasNaive ? 1 : 0) + flashCount }

    public func schedule(at index: Int, compiler: CompilerFacts = .none) -> AttentionSchedule {
        var rest = index
        if hasNaive {
            if rest == 0 { return AttentionSchedule(variant: .naive, compiler: compiler) }
            rest -= 1
        }
        let sync = mmaSync[rest % mmaSync.count]; rest /= mmaSync.count
        let ps = persistent[rest % persistent.count]; rest /= persistent.count
        let split = splitKV[rest % splitKV.count]; rest /= splitKV.count
        let s = stages[rest % stages.count]; rest /= stages.count
        let w = warps[rest % warps.count]; rest /= warps.count
        let kv = blockKV[rest % blockKV.count]; rest /= blockKV.count
        let q = blockQ[rest % blockQ.count]
        return AttentionSchedule(variant: .flash, blockQ: q, blockKV: kv, warps: w, stages: s, splitKV: split,
                                 persistent: ps, mmaSync: sync, compiler: compiler)
    }
}
