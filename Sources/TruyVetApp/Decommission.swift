import Foundation
import TruyVetCore

/// The end of the service (SafeEntry and TraceTogether were wound down by law, their data destroyed): the database with
/// its log, the keys (data key and poster signing keys) and the demo's tokens are overwritten with zeros, flushed,
/// then deleted. Without the data key nothing sealed could be read even from a copy left elsewhere.
public enum Decommission {
    /// Destroys the data directory's contents (and the database file if it lives elsewhere); returns what it removed.
    /// Holds the data directory's lock, so no server may be running on it.
    public static func run(config: AppConfig) throws -> [String] {
        guard FileManager.default.fileExists(atPath: config.dataDir) else {
            throw AppError.notFound("data directory \(config.dataDir)")
        }
        var removed: [String] = []
        do {
            let lock = try DataDirectoryLock(dataDir: config.dataDir)
            // (On PostgreSQL the database itself is destroyed by `PostgresDatabase.destroyAll`; here, the keys and files.)
            let database = config.postgresURL == nil ? try config.sqlitePath() : nil
            var files = (database.map { [$0, $0 + "-wal", $0 + "-shm", $0 + "-journal"] } ?? [])
                + [KeyFile.path(dataDir: config.dataDir), (config.dataDir as NSString).appendingPathComponent("demo.env")]
            // Anything else the server left in its directory (temporary key files, older databases).
            for name in (try? FileManager.default.contentsOfDirectory(atPath: config.dataDir)) ?? [] where name != "truyvet.lock" {
                let path = (config.dataDir as NSString).appendingPathComponent(name)
                if !files.contains(path) { files.append(path) }
            }
            for path in files where FileManager.default.fileExists(atPath: path) {
                try shred(path)
                removed.append(path)
            }
            _ = lock
        }
        let lockPath = (config.dataDir as NSString).appendingPathComponent("truyvet.lock")
        if FileManager.default.fileExists(atPath: lockPath) {
            try shred(lockPath)
            removed.append(lockPath)
        }
        return removed
    }

    /// Overwrites a regular file with zeros, flushes it to the disk, and deletes it.
    static func shred(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if (info.st_mode & S_IFMT) == S_IFREG {
            let fd = Foundation.open(path, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { throw AppError(.unavailable, code: "io_error", message: "cannot open \(path) to overwrite it") }
            defer { close(fd) }
            let zeros = [UInt8](repeating: 0, count: 1 << 16)
            var left = Int(info.st_size)
            var offset: off_t = 0
            while left > 0 {
                let n = pwrite(fd, zeros, min(left, zeros.count), offset)
                guard n > 0 else { throw AppError(.unavailable, code: "io_error", message: "cannot overwrite \(path)") }
                left -= n
                offset += off_t(n)
            }
            fsync(fd)
        }
        guard unlink(path) == 0 || errno == ENOENT else {
            throw AppError(.unavailable, code: "io_error", message: "cannot delete \(path): \(String(cString: strerror(errno)))")
        }
    }
}
