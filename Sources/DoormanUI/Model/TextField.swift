/// One line of text being typed: the login form's fields and the table's
/// filter. Input is bounded: text that would make the field too long, or that
/// holds control characters, is refused whole, never cut to fit (a 10 KB paste
/// into a 50-character field changes nothing).
struct TextField: Equatable, Sendable {
    /// How long the text may get.
    enum Limit: Equatable, Sendable {
        /// At most this many characters (the username: `VARCHAR(50)`).
        case characters(Int)
        /// At most this many bytes of UTF-8 (the password: bcrypt reads 72).
        case utf8Bytes(Int)
    }

    /// Why an insertion was refused.
    enum Refusal: Equatable, Sendable {
        /// The text would not fit.
        case tooLong(Limit)
        /// The text holds control characters (a newline, an escape...).
        case controlCharacters
    }

    /// The text.
    private(set) var text: String = ""
    /// The cursor, in characters from the start (0...count).
    private(set) var cursor: Int = 0
    /// The bound.
    let limit: Limit

    /// An empty field.
    init(limit: Limit) {
        self.limit = limit
    }

    /// `true` when nothing is typed.
    var isEmpty: Bool { text.isEmpty }

    /// Inserts `insertion` at the cursor, or refuses it whole.
    mutating func insert(_ insertion: String) -> Refusal? {
        if insertion.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) {
            return .controlCharacters
        }
        let index = text.index(text.startIndex, offsetBy: cursor)
        var candidate = text
        candidate.insert(contentsOf: insertion, at: index)
        switch limit {
        case .characters(let maximum) where candidate.count > maximum: return .tooLong(limit)
        case .utf8Bytes(let maximum) where candidate.utf8.count > maximum: return .tooLong(limit)
        default: break
        }
        // Counted on the result: a combining mark joins the character before it.
        let after = candidate.count - (text.count - cursor)
        text = candidate
        cursor = max(0, min(after, text.count))
        return nil
    }

    /// Deletes the character before the cursor.
    mutating func deleteBackward() {
        guard cursor > 0 else { return }
        let index = text.index(text.startIndex, offsetBy: cursor - 1)
        text.remove(at: index)
        cursor -= 1
    }

    /// Deletes the character under the cursor.
    mutating func deleteForward() {
        guard cursor < text.count else { return }
        text.remove(at: text.index(text.startIndex, offsetBy: cursor))
    }

    /// Moves the cursor by `offset` characters, within the text.
    mutating func moveCursor(by offset: Int) {
        cursor = max(0, min(text.count, cursor + offset))
    }

    /// Moves the cursor to the start or the end.
    mutating func moveCursor(toEnd: Bool) {
        cursor = toEnd ? text.count : 0
    }

    /// Where the word before the cursor starts (readline's `backward-word`:
    /// words are letters and digits).
    private func wordStart(before position: Int, isWord: (Character) -> Bool) -> Int {
        let characters = Array(text)
        var index = position
        while index > 0 && !isWord(characters[index - 1]) { index -= 1 }
        while index > 0 && isWord(characters[index - 1]) { index -= 1 }
        return index
    }

    /// Where the word after the cursor ends (readline's `forward-word`).
    private func wordEnd(after position: Int) -> Int {
        let characters = Array(text)
        var index = position
        while index < characters.count && !Self.isWordCharacter(characters[index]) { index += 1 }
        while index < characters.count && Self.isWordCharacter(characters[index]) { index += 1 }
        return index
    }

    private static func isWordCharacter(_ character: Character) -> Bool { character.isLetter || character.isNumber }

    /// M-b: to the start of this or the previous word.
    mutating func moveWordLeft() {
        cursor = wordStart(before: cursor, isWord: Self.isWordCharacter)
    }

    /// M-f: to the end of this or the next word.
    mutating func moveWordRight() {
        cursor = wordEnd(after: cursor)
    }

    /// M-d: deletes to the end of this or the next word.
    mutating func deleteWordForward() {
        removeCharacters(cursor..<wordEnd(after: cursor))
    }

    /// Ctrl-W: deletes back to the previous space (readline's `unix-word-rubout`).
    mutating func deleteWordBackward() {
        let start = wordStart(before: cursor, isWord: { !$0.isWhitespace })
        let end = cursor
        removeCharacters(start..<end)
        cursor = start
    }

    private mutating func removeCharacters(_ range: Range<Int>) {
        guard !range.isEmpty else { return }
        let lower = text.index(text.startIndex, offsetBy: range.lowerBound)
        let upper = text.index(text.startIndex, offsetBy: range.upperBound)
        text.removeSubrange(lower..<upper)
        cursor = min(cursor, text.count)
    }

    /// Empties the field.
    mutating func clear() {
        text = ""
        cursor = 0
    }
}

extension TextField.Limit {
    /// `50 characters`, `72 bytes`.
    var description: String {
        switch self {
        case .characters(let count): "\(count) characters"
        case .utf8Bytes(let count): "\(count) bytes"
        }
    }
}
