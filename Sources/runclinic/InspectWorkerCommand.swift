#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation
import RunclinicEngine

/// The child process an audit decodes images in (see InspectionWorkerPool): one path per line in,
/// one JSON inspection per line out, until stdin closes. Not for people.
struct InspectWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect-worker",
        abstract: "Decode and measure the images named on stdin (used by audits; not for direct use).",
        shouldDisplay: false
    )

    @Option(help: "Refuse images whose header claims more pixels than this.")
    var maxPixels = ImageQualityThresholds().maximumPixels

    func run() throws {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        // Fault injection for the crash-isolation test: abort on a path containing this text.
        let crashOn = ProcessInfo.processInfo.environment["RUNCLINIC_TEST_CRASH_ON"].flatMap { $0.isEmpty ? nil : $0 }
        while let path = readLine(strippingNewline: true) {
            if let crashOn, path.contains(crashOn) { abort() }
            var line = try encoder.encode(ImageInspection.inspect(path: path, maximumPixels: maxPixels))
            line.append(UInt8(ascii: "\n"))
            FileHandle.standardOutput.write(line)
        }
    }
}
