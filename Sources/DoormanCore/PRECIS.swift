import Foundation

/// Usernames and passwords prepared as RFC 8265 asks: usernames by the
/// UsernameCasePreserved profile, passwords by the OpaqueString profile.
///
/// Two strengths, as RFC 8264 §3 separates them:
/// - *preparation* maps what people type to one spelling (fullwidth letters to
///   their ASCII forms for usernames, non-ASCII spaces to U+0020 for
///   passwords, then NFC), so that `José` typed in NFD or NFC is one name;
///   logins prepare what they are given and then compare;
/// - *enforcement* (``enforceNewUsername(_:)``) also refuses what a new
///   account must not be called: spaces, controls, invisible (zero-width,
///   format) characters, compatibility forms, symbols and punctuation outside
///   ASCII, unassigned code points and `:`, which Basic authentication cannot
///   carry (RFC 7617 §2). Names that already exist are never refused at login.
///
/// Not implemented: RFC 5893's bidi rule (Swift does not expose the Bidi_Class
/// property); names that mix right-to-left and left-to-right scripts are allowed.
public enum PRECIS {
    /// The UsernameCasePreserved preparation: width mapping, then NFC.
    public static func prepareUsername(_ typed: String) -> String {
        if typed.utf8.allSatisfy({ $0 < 0x80 }) { return typed }  // ASCII is its own NFC, with no width variants
        var mapped = String.UnicodeScalarView()
        for scalar in typed.unicodeScalars {
            if isWidthVariant(scalar) {
                mapped.append(contentsOf: String(scalar).precomposedStringWithCompatibilityMapping.unicodeScalars)
            } else {
                mapped.append(scalar)
            }
        }
        return String(mapped).precomposedStringWithCanonicalMapping
    }

    /// The OpaqueString preparation: every non-ASCII space becomes U+0020, then NFC.
    public static func preparePassword(_ typed: String) -> String {
        if typed.utf8.allSatisfy({ $0 < 0x80 }) { return typed }
        var mapped = String.UnicodeScalarView()
        for scalar in typed.unicodeScalars {
            mapped.append(scalar.properties.generalCategory == .spaceSeparator ? " " : scalar)
        }
        return String(mapped).precomposedStringWithCanonicalMapping
    }

    /// Prepares a name for a new account and checks it against the
    /// IdentifierClass of RFC 8264 §4.2, plus Doorman's own rule against `:`.
    ///
    /// Throws an `.invalidInput` error naming the rule broken (and the code
    /// point, as `U+XXXX`), never the name.
    public static func enforceNewUsername(_ typed: String) throws -> String {
        let prepared = prepareUsername(typed)
        if prepared.isEmpty {
            throw DoormanError(.invalidInput, "the username is empty")
        }
        for scalar in prepared.unicodeScalars {
            if let rule = brokenRule(scalar) {
                throw DoormanError(.invalidInput, "the username \(rule) (\(codePoint(scalar)))")
            }
        }
        return prepared
    }

    /// Why `scalar` may not be in a new username, or `nil` when it may.
    static func brokenRule(_ scalar: Unicode.Scalar) -> String? {
        if scalar == ":" { return "contains ':', which Basic authentication cannot carry" }
        if (0x21...0x7E).contains(scalar.value) { return nil }
        let properties = scalar.properties
        if scalar.value == 0xFFFD { return "contains U+FFFD, the mark of text that was not valid UTF-8" }
        if properties.age == nil { return "contains a code point that Unicode has not assigned" }
        if scalar.isControlCharacter { return "contains a control character" }
        if properties.isDefaultIgnorableCodePoint || properties.isNoncharacterCodePoint || properties.isJoinControl {
            return "contains an invisible character (zero-width or format)"
        }
        if properties.generalCategory == .spaceSeparator || scalar == " " { return "contains a space" }
        if String(scalar).precomposedStringWithCompatibilityMapping.unicodeScalars.elementsEqual(CollectionOfOne(scalar)) == false {
            return "contains a compatibility form (a fullwidth, ligature or styled character); type its plain form"
        }
        switch properties.generalCategory {
        case .lowercaseLetter, .uppercaseLetter, .otherLetter, .decimalNumber, .modifierLetter,
             .nonspacingMark, .spacingMark:
            return nil
        case .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol,
             .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return "contains a symbol or punctuation mark outside ASCII"
        default:
            return "contains a character that identifiers may not hold"
        }
    }

    /// Fullwidth and halfwidth forms (and the ideographic space), which the
    /// width mapping rule maps to their decompositions.
    private static func isWidthVariant(_ scalar: Unicode.Scalar) -> Bool {
        (0xFF01...0xFFEE).contains(scalar.value) || scalar.value == 0x3000
    }

    private static func codePoint(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
