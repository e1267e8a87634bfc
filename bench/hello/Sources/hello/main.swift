// hello PORT [BODY_BYTES]
//
// Answers GET / on 127.0.0.1:PORT with 200 and a JSON body of exactly BODY_BYTES bytes (default 470,
// the size of Doorman's memory-tier answer for john_doe's 3 products, measured with curl).
// scripts/bench.py passes the size it measured on the memory tier in the same run.
//
// GET /bcrypt answers the same body after one bcrypt check of cost 6 (the seed's users' cost) through
// libxcrypt's crypt_rn, on an NIOThreadPool of one thread per core: what Doorman's BCryptVerifier does,
// and nothing else of a login (no Redis, no Basic parsing, no throttle). The least a server that checks
// bcrypt on every request costs on this machine; 500 if the check ever fails.
import CCrypt
import Foundation
import Hummingbird
import NIOCore
import NIOPosix

let arguments = CommandLine.arguments
guard arguments.count >= 2, arguments.count <= 3, let port = Int(arguments[1]), (1...65535).contains(port),
      let bodyBytes = arguments.count == 3 ? Int(arguments[2]) : 470, bodyBytes >= 32
else {
    FileHandle.standardError.write(Data("usage: hello PORT [BODY_BYTES (at least 32, default 470)]\n".utf8))
    exit(64)
}

/// `{"hello":"world","padding":"xxx…"}`, padded to exactly `size` bytes.
func jsonBody(size: Int) -> ByteBuffer {
    let head = #"{"hello":"world","padding":""#
    let tail = #""}"#
    let padding = String(repeating: "x", count: size - head.utf8.count - tail.utf8.count)
    return ByteBuffer(string: head + padding + tail)
}

/// crypt_rn with a fresh, zeroed crypt_data per call, as Doorman's BCrypt.verify does.
@Sendable func crypt(_ phrase: String, setting: String) -> String? {
    let data = UnsafeMutablePointer<crypt_data>.allocate(capacity: 1)
    defer { data.deallocate() }
    let size = MemoryLayout<crypt_data>.size
    UnsafeMutableRawPointer(data).initializeMemory(as: UInt8.self, repeating: 0, count: size)
    guard let result = crypt_rn(phrase, setting, data, Int32(size)), result.pointee != CChar(UInt8(ascii: "*")) else { return nil }
    return String(cString: result)
}

let password = "EXAMPLE_PASSWORD"
var salt = [CChar](repeating: 0, count: Int(CRYPT_GENSALT_OUTPUT_SIZE))
guard crypt_gensalt_rn("$2b$", 6, nil, 0, &salt, Int32(salt.count)) != nil,
      let hash = crypt(password, setting: String(decoding: salt.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)) else {
    FileHandle.standardError.write(Data("hello: libxcrypt cannot make a bcrypt hash\n".utf8))
    exit(70)
}
let bcryptThreads = NIOThreadPool(numberOfThreads: System.coreCount)
bcryptThreads.start()

let body = jsonBody(size: bodyBytes)
let router = Router()
router.get("/") { _, _ -> Response in
    Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: body))
}
router.get("/bcrypt") { _, _ -> Response in
    let matched = try await bcryptThreads.runIfActive { crypt(password, setting: hash) == hash }
    return Response(status: matched ? .ok : .internalServerError, headers: [.contentType: "application/json"],
                    body: ResponseBody(byteBuffer: body))
}
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
