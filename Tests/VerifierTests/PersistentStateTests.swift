import Devices
import Foundation
import Testing
@testable import Verifier

/// The source inspection for state kept between launches: what it flags, and what honest kernels write at program
/// scope that it must leave alone.
@Suite struct PersistentStateTests {
    static let flagged: [(source: String, declaration: String)] = [
        ("__global int calls;\n__kernel void k(__global int* y) { y[0] = calls++; }", "__global int calls"),
        ("global float cache[64] = {0};\nkernel void k() {}", "global float cache [ 64 ] = {...}"),
        ("int counter; // CL 2.0: the global address space by default", "int counter"),
        ("const __global int* last;", "const __global int * last"),
        ("__global struct { int n; float v[8]; } memo;", "__global struct {} memo"),
        ("__global int (parenthesised);", "__global int ( parenthesised )"),
        ("__kernel void k(__global int* y) { static __global int seen = 0; y[0] = seen++; }", "static __global int seen = 0"),
        ("#define STATE __global int hidden\nSTATE;", "STATE"),
        ("/* a */ __glo\\\nbal int spliced;", "__global int spliced"),
        ("// comment\r\n__global int afterCRLF;", "__global int afterCRLF"),
        ("__kernel void k() <% %>\n__global int afterDigraphs;", "__global int afterDigraphs"),
        ("__kernel void k(__global int* y) { if (y[0] == 0) { static int inBlock; y[1] = inBlock++; } }", "static int inBlock"),
    ]

    static let clean: [String] = [
        "__kernel void k(const int n, __global float* restrict y, __global const float* x) { y[0] = x[0]; }",
        "__constant float table[4] = {1, 2, 3, 4};\nconstant int width = 4;",
        "const __global int* const fixed = 0;",
        "typedef struct { float a; } Pair;\nstruct Tag { int x; };\nenum Kind { A, B };\nstruct Ahead;\nenum { TILE = 16 };",
        "float helper(float4);\nPair make(Pair p);\nfloat helper(float4 v) { return v.x; }",
        "__kernel __attribute__((reqd_work_group_size(64, 1, 1))) void k(__global float* y) { __local float t[64]; y[0] = t[0]; }",
        "__kernel void k(__global float* y) { const char* s = \"__global int fake;\"; y[0] = 1.0f; }",
        "/* __global int commented; */ // __global int alsoCommented;\n#pragma OPENCL EXTENSION cl_khr_fp64 : enable",
        "__kernel void k(__global float* y) { float a[2] = {1, 2}; for (int i = 0; i < 2; ++i) { y[i] = a[i]; } }",
    ]

    @Test(arguments: flagged.map(\.source))
    func mutableProgramScopeStateIsFound(_ source: String) {
        let expected = Self.flagged.first { $0.source == source }!.declaration
        #expect(PersistentState.firstDeclaration(in: source) == expected)
    }

    @Test(arguments: clean)
    func readOnlyAndLocalDeclarationsAreNotState(_ source: String) {
        #expect(PersistentState.firstDeclaration(in: source) == nil)
    }

    /// CUDA C++: `__device__` globals and statics are state, also inside `extern "C"` and namespace blocks.
    static let flaggedCUDA: [(source: String, declaration: String)] = [
        ("__device__ unsigned int hits;\nextern \"C\" __global__ void k(float* y) { y[0] = hits++; }", "__device__ unsigned int hits"),
        ("extern \"C\" {\n__device__ float memo[64];\n__global__ void k(float* y) { y[0] = memo[0]; }\n}", "__device__ float memo [ 64 ]"),
        ("namespace tile { __device__ __managed__ int calls = 0; }", "__device__ __managed__ int calls = 0"),
        ("__global__ void k(int* y) { static __device__ int seen; y[0] = seen++; }", "static __device__ int seen"),
    ]

    static let cleanCUDA: [String] = [
        "__constant__ float table[4] = {1, 2, 3, 4};\nconstexpr int kTile = 64;\nusing real = float;",
        "__shared__ float staged[256];\nextern __shared__ float dynamic[];\ntemplate <int N> __device__ float twice(float x) { return N * x; }",
        "extern \"C\" __global__ void __launch_bounds__(256) k(const int n, const float* __restrict__ x, float* y) { y[0] = x[0]; }",
        "namespace detail { __device__ inline float square(float v) { return v * v; } }\nstatic_assert(sizeof(float) == 4, \"fp32\");",
    ]

    static let flaggedPTX: [(source: String, declaration: String)] = [
        (".version 8.8\n.target sm_90\n.address_size 64\n.global .align 4 .u32 calls;\n.visible .entry k(.param .u64 y) { ret; }", ".global .align 4 .u32 calls"),
        (".visible .global .f32 memo[64];", ".visible .global .f32 memo[64]"),
    ]

    static let cleanPTX: [String] = [
        ".const .align 4 .b8 table[16] = {0};\n.visible .entry k(.param .u64 .ptr .global .align 4 k_param_0) { .reg .b64 %rd<2>; ret; }",
        "// .global .u32 commented;\n.extern .func (.param .b32 r) helper(.param .b32 x);\n.shared .align 4 .b8 staged[1024];",
    ]

    @Test(arguments: flaggedCUDA.map(\.source))
    func cudaDeviceVariablesAreState(_ source: String) {
        let expected = Self.flaggedCUDA.first { $0.source == source }!.declaration
        #expect(PersistentState.firstDeclaration(in: source, language: .cuda) == expected)
    }

    @Test(arguments: cleanCUDA)
    func cudaConstantsSharedAndFunctionsAreNotState(_ source: String) {
        #expect(PersistentState.firstDeclaration(in: source, language: .cuda) == nil)
    }

    @Test(arguments: flaggedPTX.map(\.source))
    func ptxModuleGlobalsAreState(_ source: String) {
        let expected = Self.flaggedPTX.first { $0.source == source }!.declaration
        #expect(PersistentState.firstDeclaration(in: source, language: .ptx) == expected)
    }

    @Test(arguments: cleanPTX)
    func ptxParametersConstantsAndSharedAreNotState(_ source: String) {
        #expect(PersistentState.firstDeclaration(in: source, language: .ptx) == nil)
    }

    @Test(arguments: LibrarySources.all.map(\.file))
    func libraryTemplatesHoldNoState(_ file: String) {
        let source = LibrarySources.all.first { $0.file == file }!.source
        #expect(PersistentState.firstDeclaration(in: source) == nil)
    }
}
