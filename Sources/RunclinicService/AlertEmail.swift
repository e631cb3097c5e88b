import Foundation
import RunclinicEngine

/// One alert as an email (RFC 5322, UTF-8 text): the subject names the run, the metric and the
/// severity; the body has what was seen, the advice and a link to the run's dashboard page.
struct AlertEmail {
    let subject: String
    let body: String

    init(_ verdict: TrainingMonitor.Verdict, dashboardURL: String) {
        let worst = verdict.anomalies.max { $0.severity < $1.severity }
        let metrics = Array(Set(verdict.anomalies.map(\.metric))).sorted().joined(separator: ", ")
        let severity = worst?.severity.rawValue ?? "action"
        var subject = "[runclinic] \(severity): run \(verdict.runName)"
        if !metrics.isEmpty { subject += ", \(metrics)" }
        if let worst {
            subject += ": \(worst.message)"
        } else if let action = verdict.action {
            subject += ": \(action.kind.rawValue)"
        }
        self.subject = subject
        var lines = ["Run \(verdict.runName) (id \(verdict.runID)):", ""]
        for anomaly in verdict.anomalies {
            lines.append(
                "- [\(anomaly.severity.rawValue)] \(anomaly.message) (\(anomaly.metric), step \(anomaly.step))")
        }
        if let action = verdict.action {
            lines += ["", "Advice: \(action.kind.rawValue): \(action.reason)"]
        }
        let base = dashboardURL.hasSuffix("/") ? dashboardURL : dashboardURL + "/"
        lines += ["", "The run's page: \(base)#/run/\(verdict.runID)", "", "-- runclinic"]
        body = lines.joined(separator: "\r\n")
    }

    /// The whole message as sent: headers, a blank line, the body. Header values are single lines
    /// (no header can be forged through a metric name) and non-ASCII subjects are encoded.
    func message(from: String, to: [String], date: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        let domain = from.split(separator: "@").last.map(String.init) ?? "runclinic.local"
        let headers = [
            "From: \(from)",
            "To: \(to.joined(separator: ", "))",
            "Subject: \(Self.encodedHeader(subject))",
            "Date: \(formatter.string(from: date))",
            "Message-ID: <\(UUID().uuidString.lowercased())@\(domain)>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
            "X-Mailer: runclinic",
        ]
        // SMTP ends the message at a line holding one dot: a body line starting with one gets two.
        let safeBody = body.split(separator: "\r\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(".") ? "." + $0 : String($0) }.joined(separator: "\r\n")
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + safeBody + "\r\n"
    }

    static func encodedHeader(_ text: String) -> String {
        let oneLine = text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        guard oneLine.unicodeScalars.contains(where: { !$0.isASCII }) else { return oneLine }
        return "=?UTF-8?B?\(Data(oneLine.utf8).base64EncodedString())?="
    }
}
