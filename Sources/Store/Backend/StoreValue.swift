import Foundation

/// A value as both backends hold it: SQLite's four storage classes, which PostgreSQL's BIGINT, DOUBLE PRECISION and
/// TEXT columns match one for one.
public enum StoreValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
}

/// What may be bound to a `?` in a statement.
public protocol StoreBindable: Sendable {
    var storeValue: StoreValue { get }
}

extension StoreValue: StoreBindable { public var storeValue: StoreValue { self } }
extension String: StoreBindable { public var storeValue: StoreValue { .text(self) } }
extension Int: StoreBindable { public var storeValue: StoreValue { .integer(Int64(self)) } }
extension Int64: StoreBindable { public var storeValue: StoreValue { .integer(self) } }
extension Double: StoreBindable { public var storeValue: StoreValue { .real(self) } }
extension Optional: StoreBindable where Wrapped: StoreBindable {
    public var storeValue: StoreValue { self?.storeValue ?? .null }
}

/// One result row, by column name.
public struct StoreRow: Sendable, Hashable {
    public var columns: [String]
    public var values: [StoreValue]

    public init(columns: [String], values: [StoreValue]) {
        self.columns = columns
        self.values = values
    }

    public subscript(_ column: String) -> StoreValue {
        guard let index = columns.firstIndex(of: column) else { return .null }
        return values[index]
    }

    /// The column as text (NULL is nil).
    public func text(_ column: String) -> String? {
        switch self[column] {
        case .text(let value): value
        case .integer(let value): String(value)
        case .real(let value): String(value)
        case .null: nil
        }
    }

    /// The column as an integer (NULL, or text that is no integer, is nil).
    public func integer(_ column: String) -> Int64? {
        switch self[column] {
        case .integer(let value): value
        case .real(let value): Int64(exactly: value)
        case .text(let value): Int64(value)
        case .null: nil
        }
    }

    /// The column as a double: SQLite hands back a REAL column's whole numbers as integers.
    public func real(_ column: String) -> Double? {
        switch self[column] {
        case .real(let value): value
        case .integer(let value): Double(value)
        case .text(let value): Double(value)
        case .null: nil
        }
    }
}

/// Dates as GRDB wrote them into SQLite stores before there were two backends ("2026-12-04 10:00:00.000", UTC), so
/// that old files read back the same and both backends sort them as text.
public enum StoreDate {
    public static func text(_ date: Date) -> String { formatter(millis: true).string(from: date) }

    public static func date(_ text: String) -> Date? {
        formatter(millis: true).date(from: text) ?? formatter(millis: false).date(from: text)
    }

    static func formatter(millis: Bool) -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = millis ? "yyyy-MM-dd HH:mm:ss.SSS" : "yyyy-MM-dd HH:mm:ss"
        return formatter
    }
}
