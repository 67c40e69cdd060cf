import Foundation

extension Store {
    /// What a copy moved, table by table.
    public struct CopySummary: Sendable {
        public var rows: [(table: String, count: Int)]
    }

    /// The tables of this store in the order they were made (so that a row's references come before it), without
    /// the backends' own bookkeeping.
    public func tables() throws(StoreError) -> [String] {
        let sql = dialect == .postgres
            ? """
              SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname <> '\(Self.postgresMigrationsTable)' ORDER BY c.oid
              """
            : "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'grdb_migrations' ORDER BY rowid"
        return try read("list tables") { tx in try tx.rows(sql).compactMap { $0.text("name") } }
    }

    /// Copies every row of `source` into this store, keys included, in one transaction. This store must hold the
    /// same tables (open both with the same schemas) and no rows yet: a copy never merges into, or overwrites, what
    /// a store already holds.
    public func copy(from source: Store) throws(StoreError) -> CopySummary {
        let tables = try source.tables()
        let ours = Set(try self.tables())
        if let missing = tables.first(where: { !ours.contains($0) }) {
            throw StoreError(.open, path: path, "has no table \(missing), which \(source.path) holds; open both with the same kernelcast")
        }
        return try write("copy \(source.path)") { tx in
            for table in tables {
                if try !tx.rows("SELECT 1 AS one FROM \(table) LIMIT 1").isEmpty {
                    throw StoreError(.open, path: path, "already holds rows (table \(table)); copy into a new, empty store")
                }
            }
            var counts: [(table: String, count: Int)] = []
            for table in tables {
                let rows = try source.read("read \(table)") { sourceTx in try sourceTx.rows("SELECT * FROM \(table)") }
                for row in rows {
                    let marks = row.columns.map { _ in "?" }.joined(separator: ", ")
                    try tx.execute("INSERT INTO \(table) (\(row.columns.joined(separator: ", "))) VALUES (\(marks))", row.values)
                }
                // PostgreSQL's identity columns count on their own: start them after the ids copied.
                if tx.dialect == .postgres, let first = rows.first, first.columns.contains("id"), first.integer("id") != nil {
                    try tx.execute("SELECT setval(pg_get_serial_sequence('\(table)', 'id'), (SELECT MAX(id) FROM \(table)))")
                }
                counts.append((table, rows.count))
            }
            return CopySummary(rows: counts)
        }
    }
}
