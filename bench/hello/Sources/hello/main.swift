// hello PORT [BODY_BYTES]
//
// Answers GET / on 127.0.0.1:PORT with 200 and a JSON body of exactly BODY_BYTES bytes (default 470,
// the size of Doorman's memory-tier answer for john_doe's 3 products, measured with curl).
// scripts/bench.py passes the size it measured on the memory tier in the same run.
import Foundation
import Hummingbird

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

let body = jsonBody(size: bodyBytes)
let router = Router()
router.get("/") { _, _ -> Response in
    Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: body))
}
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
