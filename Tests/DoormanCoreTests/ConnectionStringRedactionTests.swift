@testable import DoormanPostgres
import Testing

/// libpq repeats parts of a connection string in its messages; Doorman masks
/// the secrets in them.
@Suite("Connection string redaction")
struct ConnectionStringRedactionTests {
    @Test("secrets are found in URIs and key=value strings, as written and decoded", arguments: [
        ("postgresql://u:s3cret@db/x", ["s3cret"]),
        ("postgres://u:p%40ss@db:5432/x?sslmode=verify-full", ["p%40ss", "p@ss"]),
        ("postgresql://u:pa/ss@db/x", ["pa/ss"]),
        ("postgresql://u@db/x?password=s3cret&sslpassword=k3y", ["s3cret", "k3y"]),
        ("postgresql://db/x?sslmode=require", []),
        ("host=db password=s3cret dbname=x", ["s3cret"]),
        ("host=db password = 'it\\'s secret' dbname=x", ["it's secret", "'it\\'s secret"]),
        ("host=db sslpassword=k3y", ["k3y"]),
        ("host=db password s3cret", ["s3cret"]),
        ("host=db dbname=x", []),
    ])
    func secrets(connectionString: String, expected: [String]) {
        let found = ConnectionStringRedaction.secrets(in: connectionString)
        for secret in expected { #expect(found.contains(secret), "\(found)") }
        if expected.isEmpty { #expect(found.isEmpty, "\(found)") }
    }

    @Test("libpq's messages lose the password and keep the rest", arguments: [
        ("postgresql://u:s3cret@[::1", #"end of string reached when looking for matching "]" in IPv6 host address in URI: "postgresql://u:s3cret@[::1""#,
         #"end of string reached when looking for matching "]" in IPv6 host address in URI: "postgresql://u:***@[::1""#),
        ("postgresql://u:s3cr%et@db/x", #"invalid percent-encoded token: "s3cr%et""#, #"invalid percent-encoded token: "***""#),
        ("postgresql://u:pa/ss@db/x", #"invalid port number: "pa""#, #"invalid port number: "***""#),
        ("host=db password=s3cret port=abc", #"invalid integer value "abc" for connection option "port""#,
         #"invalid integer value "abc" for connection option "port""#),
        ("postgresql://u:s3cret@db/x", #"connection to server at "db" (10.0.0.1), port 5432 failed: FATAL:  password authentication failed for user "u""#,
         #"connection to server at "db" (10.0.0.1), port 5432 failed: FATAL:  password authentication failed for user "u""#),
    ])
    func redact(connectionString: String, message: String, expected: String) {
        #expect(ConnectionStringRedaction.redact(message, connectionString: connectionString) == expected)
    }
}
