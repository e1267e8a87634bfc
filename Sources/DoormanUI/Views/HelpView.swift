/// The help screen, generated from the keymap (``Keymap/helpSections(mode:)``):
/// what it lists is what the keys do.
enum HelpView {
    static func draw(_ help: AppState.Help, mode: ModeInfo, keymap: Keymap, in rect: Rect, into buffer: inout ScreenBuffer) {
        buffer.fill(rect, role: .help)
        buffer.box(rect, title: "Help · keys", border: .panelBorder, titleRole: .helpTitle)
        let inner = Rect(x: rect.x + 2, y: rect.y + 1, width: rect.width - 4, height: rect.height - 2)
        var lines: [[Span]] = []
        let keyWidth = 22
        for section in keymap.helpSections(mode: mode) {
            lines.append([Span(section.title, .helpTitle)])
            for line in section.lines {
                lines.append([Span(DisplayWidth.pad("  " + line.keys, to: keyWidth), .helpKey), Span(line.summary, .help)])
            }
            lines.append([])
        }
        let scroll = max(0, min(help.scroll, lines.count - inner.height))
        for (offset, line) in lines.dropFirst(scroll).prefix(inner.height).enumerated() {
            buffer.write(line, x: inner.x, y: inner.y + offset, maxWidth: inner.width)
        }
        if lines.count > inner.height {
            let position = "\(scroll + 1)–\(min(lines.count, scroll + inner.height)) of \(lines.count)"
            buffer.write(" \(position) ", x: rect.maxX - DisplayWidth.of(position) - 4, y: rect.maxY - 1, role: .panelBorder)
        }
    }
}
