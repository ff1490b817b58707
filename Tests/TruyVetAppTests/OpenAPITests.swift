import Foundation
import Hummingbird
import Testing
@testable import TruyVetApp

/// The OpenAPI document the server publishes describes exactly the routes the router answers: no route left out,
/// none described that does not exist. (What each operation answers is fuzzed against it by `scripts/contract`.)
@Suite struct OpenAPITests {
    private func document() throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.bytes))
        return try #require(object as? [String: Any])
    }

    @Test func everyRouteIsDescribedAndNothingElse() async throws {
        let test = try await TestApp.make()
        func operations(_ register: (Router<AppRequestContext>) -> Void) -> Set<String> {
            let router = Router(context: AppRequestContext.self)
            register(router)
            return Set(router.routes.compactMap { route -> String? in
                guard route.method != .head else { return nil }
                let path = "/" + route.path.description.split(separator: "/").map { part in
                    part.hasPrefix(":") ? "{\(part.dropFirst())}" : String(part)
                }.joined(separator: "/")
                return "\(route.method.rawValue) \(path)"
            })
        }
        let routes = Routes(app: test.app)
        // The console's pages are HTML for people (tested in a browser by scripts/browser), not part of the JSON API.
        let console = operations { routes.registerConsoleRoutes(on: $0) }
        #expect(console.contains("GET /venue"))
        let served = operations { routes.register(on: $0) }.subtracting(console)
        let paths = try #require(try document()["paths"] as? [String: [String: Any]])
        let methods: Set<String> = ["get", "put", "post", "delete", "patch", "options", "head", "trace"]
        let described = Set(paths.flatMap { path, item in
            item.keys.filter { methods.contains($0) }.map { "\($0.uppercased()) \(path)" }
        })
        #expect(served.count > 40)
        #expect(served.subtracting(described).sorted() == [], "routes the document leaves out")
        #expect(described.subtracting(served).sorted() == [], "operations the document describes that no route answers")
    }

    @Test func everyOperationHasAnIdSummaryAndResponses() throws {
        let paths = try #require(try document()["paths"] as? [String: [String: Any]])
        var ids: [String] = []
        for (path, item) in paths {
            for (method, value) in item where method != "parameters" {
                let operation = try #require(value as? [String: Any], "\(method) \(path)")
                let id = try #require(operation["operationId"] as? String, "\(method) \(path) has no operationId")
                ids.append(id)
                #expect((operation["summary"] as? String)?.isEmpty == false, "\(method) \(path) has no summary")
                let responses = try #require(operation["responses"] as? [String: Any], "\(method) \(path) has no responses")
                #expect(responses.keys.contains { $0.hasPrefix("2") || $0.hasPrefix("3") }, "\(method) \(path) documents no success")
            }
        }
        #expect(Set(ids).count == ids.count, "operation ids repeat")
    }

    @Test func theServerPublishesIt() async throws {
        let test = try await TestApp.make()
        try await test.run { client in
            let reply = try await client.call(.get, "/openapi.json")
            #expect(reply.status == 200)
            #expect(reply.headers[.contentType]?.hasPrefix("application/json") == true)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any])
            #expect(object["openapi"] as? String == "3.1.0")
            let info = try #require(object["info"] as? [String: Any])
            #expect(info["title"] as? String == "TruyVet")
        }
    }
}
