import GRDB

/// SQLite through GRDB, inside a transaction GRDB opened.
struct SQLiteConnection: StoreConnection {
    let db: Database

    var dialect: StoreDialect { .sqlite }

    func execute(_ sql: String, _ binds: [StoreValue]) throws {
        try db.execute(sql: sql, arguments: Self.arguments(binds))
    }

    func rows(_ sql: String, _ binds: [StoreValue]) throws -> [StoreRow] {
        try Row.fetchAll(db, sql: sql, arguments: Self.arguments(binds)).map { row in
            StoreRow(columns: Array(row.columnNames), values: row.databaseValues.map(Self.value))
        }
    }

    func insert(_ sql: String, _ binds: [StoreValue]) throws -> Int64 {
        try execute(sql, binds)
        return db.lastInsertedRowID
    }

    static func arguments(_ binds: [StoreValue]) -> StatementArguments {
        StatementArguments(binds.map { value -> DatabaseValue in
            switch value {
            case .null: .null
            case .integer(let number): number.databaseValue
            case .real(let number): number.databaseValue
            case .text(let text): text.databaseValue
            }
        })
    }

    static func value(_ value: DatabaseValue) -> StoreValue {
        switch value.storage {
        case .null: .null
        case .int64(let number): .integer(number)
        case .double(let number): .real(number)
        case .string(let text): .text(text)
        case .blob(let data): .text(String(decoding: data, as: UTF8.self))
        }
    }
}
