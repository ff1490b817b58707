import Foundation

/// A device's own history: the check-ins made from it (a browser's cookie or an app's device token, stored hashed),
/// found through the people it checked in, so that no index on the visits' device is written by every check-in.
public enum DeviceHistory {
    /// A device–person pair's last use is written again at most this often (a week): a visitor coming back within it
    /// writes nothing more. Retention keeps a pair this much longer than the devices it outlives.
    public static let touchSeconds: Int64 = 7 * 86_400
    /// The most visits one history shows (the newest).
    public static let maxVisits = 500
}
