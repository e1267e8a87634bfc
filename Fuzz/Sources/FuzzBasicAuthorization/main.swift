// libFuzzer target: BasicAuthorization.parse(_:) / parseExplained(_:) and the
// strict Base64 under it. No top-level code here: libFuzzer owns `main`.
import DoormanCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBasicAuthorization(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    // A header value as Hummingbird hands it over: a String (invalid UTF-8 repaired).
    let header = String(decoding: bytes, as: UTF8.self)

    let explained = BasicAuthorization.parseExplained(header)
    let parsed = BasicAuthorization.parse(header)
    switch explained {
    case .success(let credentials):
        precondition(parsed == credentials, "parse and parseExplained disagree")
        // What parse accepts passes Credentials' own checks.
        precondition(!credentials.username.isEmpty && !credentials.password.isEmpty)
        precondition(credentials.password.utf8.count <= Credentials.maxPasswordBytes)
        // The header we would send for these credentials reads back as them
        // (a username that preparation maps to one holding ':' cannot round-trip).
        if !credentials.username.contains(":") {
            let again = BasicAuthorization.parse(BasicAuthorization.header(username: credentials.username, password: credentials.password))
            precondition(again == credentials, "header(username:password:) does not parse back")
        }
    case .failure:
        precondition(parsed == nil, "parse accepted what parseExplained refused")
    }

    // Base64: strict decoding is the inverse of encoding, both ways.
    if let decoded = Base64.decode(bytes) {
        precondition(Array(Base64.encode(decoded).utf8) == bytes, "a non-canonical encoding was accepted")
    }
    precondition(Base64.decode(Array(Base64.encode(bytes).utf8)) == bytes || bytes.isEmpty, "encode then decode lost bytes")
    return 0
}
