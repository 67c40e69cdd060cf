import ArgumentParser
import Store

/// Where the calibration store lives: `--store PATH` (an SQLite file or a `postgres://USER@HOST[:PORT]/DB` URL), then
/// $KERNELCAST_STORE, then `kernelcast.sqlite` here.
struct StoreOptions: ParsableArguments {
    @Option(name: .customLong("store"), help: "SQLite store file or postgres://USER@HOST[:PORT]/DB (default: $KERNELCAST_STORE or ./kernelcast.sqlite).")
    var path: String?
    @OptionGroup var password: StorePasswordOption

    func open() throws -> Store { try Store(path: Store.resolvePath(option: path), passwordFile: password.file) }
}

/// A PostgreSQL store's password: `$PGPASSWORD` or this file, never the command line (nor the URL).
struct StorePasswordOption: ParsableArguments {
    @Option(name: .customLong("store-password-file"), help: "File whose first line is the PostgreSQL store's password (default: $PGPASSWORD, or $KERNELCAST_STORE_PASSWORD_FILE).")
    var file: String?
}
