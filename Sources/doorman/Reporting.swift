import ArgumentParser
import DoormanCore
import DoormanRuntime
import Foundation
import Logging

/// Exit codes shared by every command.
enum ExitStatus {
    /// Authentication failed, or an input or a named user was refused.
    static let failure: Int32 = 1
    /// A server could not be reached, or the embedded stack could not start.
    static let unavailable: Int32 = 2
    /// A flag, URL or environment variable is malformed.
    static let usage: Int32 = 64
}

/// Prints one line to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Runs a command body: sets up logging, turns Doorman errors into one clear
/// line on standard error and the matching exit code (never a stack trace).
func runReportingErrors(_ options: CommonOptions, defaultLogLevel: Logger.Level = .warning, _ body: (Settings) throws -> Void) throws {
    do {
        let settings = try options.settings(defaultLogLevel: defaultLogLevel)
        bootstrapLogging(level: settings.logLevel)
        try body(settings)
    } catch let error as DoormanError {
        printError("doorman: \(error.message)")
        throw ExitCode(exitStatus(for: error))
    }
}

/// ``runReportingErrors(_:defaultLogLevel:_:)`` for async bodies.
func runReportingErrorsAsync(_ options: CommonOptions, defaultLogLevel: Logger.Level = .warning, _ body: (Settings) async throws -> Void) async throws {
    do {
        let settings = try options.settings(defaultLogLevel: defaultLogLevel)
        bootstrapLogging(level: settings.logLevel)
        try await body(settings)
    } catch let error as DoormanError {
        printError("doorman: \(error.message)")
        throw ExitCode(exitStatus(for: error))
    }
}

/// The exit code for an error.
func exitStatus(for error: DoormanError) -> Int32 {
    switch error.kind {
    case .configuration: ExitStatus.usage
    case .unavailable, .stack, .timeout: ExitStatus.unavailable
    default: ExitStatus.failure
    }
}

/// Sends logs to standard error at `level`.
func bootstrapLogging(level: Logger.Level) {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
}

/// Starts the runtime, runs `body`, and always releases the embedded stack.
func withRuntime(_ settings: Settings, _ body: (Runtime) async throws -> Void) async throws {
    let runtime = try Runtime(settings: settings, logger: Logger(label: "doorman"))
    do {
        try await body(runtime)
    } catch {
        await runtime.shutdown()
        throw error
    }
    await runtime.shutdown()
}
