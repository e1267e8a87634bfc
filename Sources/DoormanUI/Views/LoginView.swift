/// The login form: username, masked password, and the form's last word.
enum LoginView {
    static func draw(_ state: AppState, in rect: Rect, into buffer: inout ScreenBuffer) {
        let width = min(rect.width - 4, 56)
        let height = 9
        guard width >= 30, rect.height >= height else {
            drawCompact(state, in: rect, into: &buffer)
            return
        }
        let box = Rect(x: rect.x + (rect.width - width) / 2, y: rect.y + max(0, (rect.height - height) / 2 - 1), width: width, height: height)
        buffer.box(box, title: "Log in")
        let inner = box.inset(by: 1)
        let labelWidth = 10
        let fieldX = inner.x + 2 + labelWidth
        let fieldWidth = inner.maxX - 2 - fieldX
        drawField(state, .username, label: "Username", x: inner.x + 2, fieldX: fieldX, width: fieldWidth, y: inner.y + 1, into: &buffer)
        drawField(state, .password, label: "Password", x: inner.x + 2, fieldX: fieldX, width: fieldWidth, y: inner.y + 3, into: &buffer)
        drawFeedback(state, x: inner.x + 2, y: inner.y + 5, width: inner.width - 4, into: &buffer)
    }

    /// Without room for the frame: the fields one under the other.
    private static func drawCompact(_ state: AppState, in rect: Rect, into buffer: inout ScreenBuffer) {
        let fieldX = rect.x + 11
        let fieldWidth = rect.maxX - 1 - fieldX
        drawField(state, .username, label: "Username", x: rect.x + 1, fieldX: fieldX, width: fieldWidth, y: rect.y + 1, into: &buffer)
        drawField(state, .password, label: "Password", x: rect.x + 1, fieldX: fieldX, width: fieldWidth, y: rect.y + 2, into: &buffer)
        drawFeedback(state, x: rect.x + 1, y: rect.y + 4, width: rect.width - 2, into: &buffer)
    }

    private static func drawField(_ state: AppState, _ field: AppState.LoginForm.Field, label: String, x: Int, fieldX: Int, width: Int, y: Int, into buffer: inout ScreenBuffer) {
        guard width > 2 else { return }
        let focused = state.login.focus == field && state.pendingLogin == nil
        buffer.write(label, x: x, y: y, role: .loginLabel)
        let role: Role = focused ? .loginFocus : .loginField
        buffer.fill(Rect(x: fieldX, y: y, width: width, height: 1), role: role)
        let value = field == .username ? state.login.username : state.login.password
        // The password never shows: one • per character.
        let text = field == .username ? value.text : String(repeating: "•", count: value.text.count)
        let cells = DisplayWidth.cells(text)
        let cursorColumn = DisplayWidth.of(text.prefix(value.cursor))
        // Scroll sideways so the cursor stays in the field.
        var skip = 0
        var start = 0
        while cursorColumn - skip > width - 1, start < cells.count {
            skip += cells[start].width
            start += 1
        }
        var column = fieldX + 1
        for cell in cells[start...] {
            if column + cell.width > fieldX + width - 1 { break }
            buffer.put(cell, x: column, y: y, role: role)
            column += cell.width
        }
        if focused {
            buffer.cursor = ScreenBuffer.Point(x: fieldX + 1 + cursorColumn - skip, y: y)
        }
    }

    private static func drawFeedback(_ state: AppState, x: Int, y: Int, width: Int, into buffer: inout ScreenBuffer) {
        if state.pendingLogin != nil {
            buffer.write("\(state.spinner) Checking…", x: x, y: y, role: .spinner, maxWidth: width)
        } else if let feedback = state.loginFeedback {
            let role: Role = switch feedback.kind {
            case .error: .statusError
            case .ok: .statusOK
            case .info: .loginLabel
            }
            buffer.write(feedback.text, x: x, y: y, role: role, maxWidth: width)
            // Long outage messages wrap onto the next line.
            let shown = DisplayWidth.truncate(feedback.text, to: width)
            if shown != feedback.text, let cut = wrapPoint(feedback.text, width: width) {
                buffer.fill(Rect(x: x, y: y, width: width, height: 1), role: .default)
                buffer.write(String(feedback.text[..<cut]), x: x, y: y, role: role, maxWidth: width)
                buffer.write(String(feedback.text[cut...]).trimmingLeadingSpaces, x: x, y: y + 1, role: role, maxWidth: width)
            }
        }
    }

    /// Where to break `text` so the first part fits `width` columns: the last space that fits.
    private static func wrapPoint(_ text: String, width: Int) -> String.Index? {
        var used = 0
        var lastSpace: String.Index?
        for index in text.indices {
            used += DisplayWidth.of(String(text[index]))
            if used > width { break }
            if text[index] == " " { lastSpace = index }
        }
        return lastSpace
    }
}

extension String {
    var trimmingLeadingSpaces: String { String(drop { $0 == " " }) }
}
