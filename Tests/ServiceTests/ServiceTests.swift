import Foundation
import MachineModel
import Service
import Testing

/// The repository's machines/ folder, and a store in a fresh temporary folder; `queue`: verify jobs go to the store's queue.
func makeService(store: String? = nil, queue: Bool = false) throws -> KernelCastService {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let storePath = store ?? FileManager.default.temporaryDirectory.appendingPathComponent("kc-service-\(UUID().uuidString).sqlite").path
    return try KernelCastService(configuration: .init(machinesDirectory: root.appendingPathComponent("machines").path,
                                                      storePath: storePath, version: Version.current, queue: queue))
}

let gemm4096 = #""problem": {"m": 4096, "n": 4096, "k": 4096, "dtype": "fp16"}"#

@Suite struct PredictOperationTests {
    @Test func aBatchIsAnsweredInInputOrderWithReasonsForTheInfeasible() async throws {
        let service = try makeService()
        let result = try await service.perform(.predict, body: """
            {"machine": "h200-sxm", "family": "gemm", \(gemm4096),
             "schedules": [{"block_m": 128, "block_n": 256, "block_k": 64, "warps": 8, "stages": 3, "group_m": 8},
                           {"block_m": 256, "block_n": 256, "block_k": 128, "warps": 8, "stages": 4},
                           {"block_m": 64, "block_n": 64, "block_k": 32, "warps": 4, "stages": 2}]}
            """)
        let text = result.compact()
        #expect(text.contains(#""candidates":3,"feasible":2"#))
        #expect(text.contains(#"{"index":0,"label":"128x256x64 w8 s3 g8","feasible":true"#))
        // 256x256 tiles of fp16 A and B with 128-deep K steps over 4 stages: (256+256)*128*2 B*4 = 512 KiB.
        #expect(text.contains(#"{"index":1,"label":"256x256x128 w8 s4 g1","feasible":false,"reason":"shared memory 512 KiB > 227 KiB per block"}"#))
        #expect(text.contains(#"{"index":2,"label":"64x64x32 w4 s2 g1","feasible":true"#))
    }

    @Test func aSpaceIsRankedAndTheTopKept() async throws {
        let service = try makeService()
        let result = try await service.perform(.predict, body: """
            {"machine": "h100-sxm", "top": 3, "space": {"version": 1, "name": "g", "family": "gemm", \(gemm4096),
             "schedule": {"block_m": [64, 128, 256], "block_n": [64, 128, 256], "block_k": [32, 64], "warps": [4, 8], "stages": [3, 4]}}}
            """)
        let text = result.compact()
        #expect(text.contains(#""candidates":72"#))
        #expect(text.contains(#""rank":3"#) && !text.contains(#""rank":4"#))
        #expect(text.contains(#""machine_fields":"#))
    }

    @Test func aListValueInABatchScheduleIsRefusedAtItsLine() async throws {
        let service = try makeService()
        let error = await #expect(throws: ServiceError.self) {
            try await service.perform(.predict, body: """
                {"machine": "h200-sxm", "family": "gemm", \(gemm4096),
                 "schedules": [{"block_m": [64, 128], "block_n": 64, "block_k": 32, "warps": 4, "stages": 2}]}
                """)
        }
        #expect(error?.code == .badRequest)
        #expect(error?.message == "request:2:16: error: schedules[0]: expected one value per key in a list of schedules; give a space to predict a cross product")
    }
}

@Suite struct RequestErrorTests {
    @Test func anUnknownMachineIsNotFoundWithTheLikelyName() async throws {
        let error = await #expect(throws: ServiceError.self) {
            try await makeService().perform(.bound, body: #"{"machine": "h200-sxn", "family": "gemm", \#(gemm4096)}"#)
        }
        #expect(error?.code == .notFound)
        #expect(error?.status == 404)
        #expect(error?.message == "no machine named \"h200-sxn\"")
        #expect(error?.remedy.hasPrefix("did you mean h200-sxm? known machines: a100-sxm4-80gb,") == true)
    }

    @Test func aBodyThatIsNotJSONIsABadRequest() async throws {
        let error = await #expect(throws: ServiceError.self) { try await makeService().perform(.predict, body: "machine: h200-sxm") }
        #expect(error?.code == .badRequest)
        #expect(error?.message == "request:1:1: error: not valid JSON: expected a value (an object, a list, a string, a number, true, false or null)")
    }

    @Test func aMisspeltFieldIsNamedWithItsPlace() async throws {
        let error = await #expect(throws: ServiceError.self) {
            try await makeService().perform(.bound, body: #"{"machine": "h200-sxm", "family": "gemm", \#(gemm4096), "budgte": 3}"#)
        }
        #expect(error?.message == "request:1:106: error: budgte: unknown field; expected one of family, machine, problem")
    }

    @Test func anUnknownTimingNamesTheChoices() async throws {
        let error = await #expect(throws: ServiceError.self) {
            try await makeService().perform(.explain, body: #"{"machine": "h200-sxm", "timing": "hot", "family": "gemm", \#(gemm4096), "schedule": {}}"#)
        }
        #expect(error?.message == "request:1:35: error: timing: expected one of sustained, burst, got \"hot\"")
    }

    @Test func aProblemOutOfRangeNamesTheField() async throws {
        let error = await #expect(throws: ServiceError.self) {
            try await makeService().perform(.bound, body: #"{"machine": "h200-sxm", "family": "gemm", "problem": {"m": -4, "n": 1, "k": 1, "dtype": "fp16"}}"#)
        }
        #expect(error?.message == "request:1:60: error: problem.m: expected a positive whole number, got -4")
    }
}

@Suite struct BoundAndExplainTests {
    /// 2 x 4096^3 = 137.4 GFLOP at the H200's 989.5 TFLOP/s dense fp16 = 138.9 us; the compulsory bytes (A, B and C
    /// once: 3 x 4096^2 x 2 B = 100.7 MB) take 21.0 us at 4.8 TB/s, so compute limits it.
    @Test func theBoundOfASquareGemmIsItsFlopsAtTheMatrixPeak() async throws {
        let result = try await makeService().perform(.bound, body: #"{"machine": "h200-sxm", "family": "gemm", \#(gemm4096)}"#)
        #expect(result.compact().contains(#""limited_by":"compute","sentence":"at least 138.9 us: 137.4 GFLOP at 989.5 TFLOP/s (matrix fp16)""#))
        #expect(result.compact().contains(#""compulsory_bytes":100663296"#))
    }

    /// 64 M fp32 values read and written once: 512 MiB at 4.8 TB/s = 111.8 us.
    @Test func theBoundOfAnElementwiseChainIsItsBytesAtDeviceBandwidth() async throws {
        let result = try await makeService().perform(.bound, body: #"{"machine": "h200-sxm", "family": "elementwise", "problem": {"elements": 67108864, "ops": 3, "dtype": "fp32"}}"#)
        #expect(result.compact().contains(#""limited_by":"memory","sentence":"at least 111.8 us: 512 MiB at 4.8 TB/s (hbm)""#))
    }

    @Test func explainSaysWhatBoundsItAndWhatToTryNext() async throws {
        let service = try makeService()
        let result = try await service.perform(.explain, body: """
            {"machine": "h100-sxm", "family": "elementwise", "problem": {"elements": 67108864, "ops": 2, "dtype": "fp32"},
             "schedule": {"fused": false, "block_elements": 1024, "warps": 4}}
            """)
        let text = Summary.text(.explain, result)
        #expect(text.hasPrefix("fused=false") || text.contains("on h100-sxm: "))
        #expect(text.contains("next: "))
    }
}

@Suite struct OpenAPIDocumentTests {
    /// docs/openapi.json is what the server serves: regenerate it with `kernelcast serve --print-openapi > docs/openapi.json`.
    @Test func theCommittedDocumentIsTheServedOne() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let committed = try String(contentsOf: root.appendingPathComponent("docs/openapi.json"), encoding: .utf8)
        #expect(committed == OpenAPI.document(version: Version.current).rendered() + "\n")
    }

    @Test func everyOperationHasARouteAndEveryPostABodySchema() {
        let document = OpenAPI.document(version: Version.current).compact()
        for operation in APIOperation.allCases {
            #expect(document.contains("\"operationId\":\"\(operation.rawValue)\""))
        }
        #expect(document.contains(#""openapi":"3.1.0""#))
    }
}

@Suite struct ExampleTests {
    /// Every example in the OpenAPI document is a request its operation answers (verify and refine, which run a
    /// device or fit for seconds, are exercised by the client tests).
    @Test(arguments: APIOperation.allCases.filter { $0.example != nil && $0 != .verify && $0 != .refine })
    func theExampleIsAnswered(operation: APIOperation) async throws {
        let result = try await makeService().perform(operation, body: operation.example!.compact())
        #expect(result.compact().count > 2)
    }
}
