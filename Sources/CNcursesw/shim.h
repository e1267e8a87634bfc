#ifndef DOORMAN_CNCURSESW_SHIM_H
#define DOORMAN_CNCURSESW_SHIM_H
// ncursesw from Debian's libncursesw5-dev (pkg-config: ncursesw).
// SwiftPM drops pkg-config's -D flags, so ask for the wide-character API here.
#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include <locale.h>
#include <wchar.h>
#include <ncursesw/curses.h>

// Macros that do not import into Swift, as functions.
static inline attr_t doorman_a_normal(void)    { return A_NORMAL; }
static inline attr_t doorman_a_bold(void)      { return A_BOLD; }
static inline attr_t doorman_a_reverse(void)   { return A_REVERSE; }
static inline attr_t doorman_a_underline(void) { return A_UNDERLINE; }
static inline attr_t doorman_a_dim(void)       { return A_DIM; }
static inline attr_t doorman_a_italic(void)    { return A_ITALIC; }
static inline attr_t doorman_color_pair(short n) { return COLOR_PAIR(n); }
static inline int doorman_key_f(int n) { return KEY_F(n); }
static inline WINDOW *doorman_stdscr(void) { return stdscr; }
static inline int doorman_lines(void) { return LINES; }
static inline int doorman_cols(void) { return COLS; }
static inline int doorman_colors(void) { return COLORS; }
static inline int doorman_color_pairs(void) { return COLOR_PAIRS; }
static inline int doorman_key_code_yes(void) { return KEY_CODE_YES; }
static inline int doorman_key_max(void) { return KEY_MAX; }

// newterm on the process's standard streams (stdin and stdout are C globals
// Swift 6 will not touch), with TERM from the environment. NULL on failure,
// where initscr would exit the process.
static inline SCREEN *doorman_newterm(void) { return newterm(NULL, stdout, stdin); }
static inline int doorman_flush_stdout(void) { return fflush(stdout); }

// A terminfo string capability, or NULL when the terminal lacks it
// (tigetstr answers (char *)-1 or 0 then, which Swift cannot compare).
static inline const char *doorman_tigetstr(const char *name) {
    char *value = tigetstr(name);
    return (value == (char *)-1) ? NULL : value;
}

// Writes one cell: a wide-character string (a grapheme: base plus combining
// marks) with attributes and a colour pair, at (y, x) on stdscr.
static inline int doorman_put_cell(int y, int x, const wchar_t *wch, attr_t attrs, short pair) {
    cchar_t cell;
    if (setcchar(&cell, wch, attrs, pair, NULL) != OK) return ERR;
    return mvadd_wch(y, x, &cell);
}
#endif
