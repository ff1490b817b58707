import Foundation
import GRDB
import Metrics

/// Copies the write-ahead log into the database file from a connection of its own, off the writer's path: a passive
/// checkpoint every `interval`, which never waits for the writer or the readers and never makes them wait (commits
/// go on appending to the log meanwhile; the writer starts the log over once everything in it has been copied). Its
/// fsync of the database file happens here, not inside a check-in's commit. Stops with the database.
final class Checkpointer: @unchecked Sendable {
    // (@unchecked: the timer is set up in `init` and only cancelled in `deinit`; its handler runs on its own queue.)
    private let timer: DispatchSourceTimer
    static let interval: DispatchTimeInterval = .milliseconds(500)
    static let failed = Counter(label: "truyvet_store_errors_total", dimensions: [("operation", "checkpoint")])

    init(path: String) throws {
        var config = Configuration()
        config.label = "truyvet.checkpoint"
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        let connection = try DatabaseQueue(path: path, configuration: config)
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "truyvet.checkpoint", qos: .utility))
        timer.schedule(deadline: .now() + Self.interval, repeating: Self.interval)
        timer.setEventHandler {
            do {
                _ = try connection.writeWithoutTransaction { try $0.checkpoint(.passive) }
            } catch {
                Self.failed.increment()
            }
        }
        timer.resume()
        self.timer = timer
    }

    deinit { timer.cancel() }
}
