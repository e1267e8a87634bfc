/// Where each part of the screen goes at a given size: the title bar on top,
/// the status line and the footer at the bottom, the main area (login form or
/// table) and the cache panel between them, at the right on wide terminals
/// and at the bottom on narrow, tall ones. Pure geometry: the state machine
/// asks it how many table rows fit, and the views draw into it.
struct Layout: Equatable, Sendable {
    /// Where the cache panel goes.
    enum PanelPlacement: Equatable, Sendable {
        /// Beside the main area (wide terminals).
        case right
        /// Under it (narrow, tall terminals).
        case bottom
    }

    /// The terminal.
    var size: TerminalSize
    /// The title bar's row.
    var titleRow = 0
    /// The login form or the table.
    var main: Rect
    /// The cache panel, when shown.
    var panel: Rect?
    /// Where the panel is.
    var placement: PanelPlacement?
    /// Main area and panel together (where the help goes).
    var body: Rect
    /// The status line's row.
    var statusRow: Int
    /// The footer's row.
    var footerRow: Int

    /// From this width, the panel sits at the right.
    static let panelRightMinColumns = 100
    /// Below that width, from this height, it sits at the bottom.
    static let panelBottomMinRows = 24

    /// The layout for `size`, with the panel when it is wanted and fits.
    init(size: TerminalSize, panelWanted: Bool) {
        self.size = size
        statusRow = max(0, size.rows - 2)
        footerRow = max(0, size.rows - 1)
        body = Rect(x: 0, y: 1, width: size.columns, height: size.rows - 3)
        main = body
        if panelWanted && size.columns >= Self.panelRightMinColumns {
            let width = min(60, max(36, size.columns * 38 / 100))
            panel = Rect(x: size.columns - width, y: body.y, width: width, height: body.height)
            main = Rect(x: 0, y: body.y, width: size.columns - width, height: body.height)
            placement = .right
        } else if panelWanted && size.rows >= Self.panelBottomMinRows {
            let height = min(10, body.height / 2)
            panel = Rect(x: 0, y: body.maxY - height, width: size.columns, height: height)
            main = Rect(x: 0, y: body.y, width: size.columns, height: body.height - height)
            placement = .bottom
        }
    }

    /// How many product rows fit under the table's heading.
    var tableRows: Int { max(1, main.height - 1) }
}
