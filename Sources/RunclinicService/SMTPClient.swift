import CCurl
import Foundation
import RunclinicEngine

/// Sends one message through an SMTP server with libcurl: STARTTLS when asked (and required
/// then), login from the environment variables the settings name, a deadline on every step.
enum SMTPClient {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static let timeoutSeconds = 15

    private static let globalSetup: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    static func send(_ message: String, settings: EmailAlertSettings) -> Result<Void, Failure> {
        _ = globalSetup
        guard let handle = curl_easy_init() else { return .failure(Failure(description: "libcurl could not start")) }
        defer { curl_easy_cleanup(handle) }
        let host = settings.host.contains(":") ? "[\(settings.host)]" : settings.host
        // libcurl keeps this pointer until the transfer ends: it must not move.
        let error = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        error.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        defer { error.deallocate() }
        var recipients: UnsafeMutablePointer<curl_slist>? = nil
        for address in settings.to { recipients = curl_slist_append(recipients, "<\(address)>") }
        defer { curl_slist_free_all(recipients) }
        let source = MessageSource(Array(message.utf8))
        let context = Unmanaged.passRetained(source)
        defer { context.release() }
        var setup: [CURLcode] = [
            runclinic_curl_set_string(handle, CURLOPT_URL, "smtp://\(host):\(settings.port)"),
            runclinic_curl_set_string(handle, CURLOPT_MAIL_FROM, "<\(settings.from)>"),
            runclinic_curl_set_pointer(handle, CURLOPT_MAIL_RCPT, UnsafeMutableRawPointer(recipients)),
            runclinic_curl_set_long(handle, CURLOPT_UPLOAD, 1),
            runclinic_curl_set_read_function(handle, readMessage),
            runclinic_curl_set_pointer(handle, CURLOPT_READDATA, context.toOpaque()),
            runclinic_curl_set_long(handle, CURLOPT_INFILESIZE, source.bytes.count),
            runclinic_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT, timeoutSeconds),
            runclinic_curl_set_long(handle, CURLOPT_TIMEOUT, timeoutSeconds * 2),
            runclinic_curl_set_long(handle, CURLOPT_NOSIGNAL, 1),
            runclinic_curl_set_pointer(handle, CURLOPT_ERRORBUFFER, error),
            runclinic_curl_set_long(handle, CURLOPT_USE_SSL, settings.startTLS ? Int(CURLUSESSL_ALL.rawValue) : 0),
        ]
        if let caFile = settings.caFile { setup.append(runclinic_curl_set_string(handle, CURLOPT_CAINFO, caFile)) }
        let environment = ProcessInfo.processInfo.environment
        if let variable = settings.usernameVariable {
            guard let username = environment[variable], !username.isEmpty else {
                return .failure(
                    Failure(description: "the SMTP user's variable \(variable) is not set in the server's environment"))
            }
            setup.append(runclinic_curl_set_string(handle, CURLOPT_USERNAME, username))
        }
        if let variable = settings.passwordVariable {
            guard let password = environment[variable] else {
                return .failure(
                    Failure(
                        description: "the SMTP password's variable \(variable) is not set in the server's environment"))
            }
            setup.append(runclinic_curl_set_string(handle, CURLOPT_PASSWORD, password))
        }
        if let failed = setup.first(where: { $0 != CURLE_OK }) {
            return .failure(
                Failure(description: "libcurl refused a setting: \(String(cString: curl_easy_strerror(failed)))"))
        }
        let code = curl_easy_perform(handle)
        guard code == CURLE_OK else {
            let detail = String(cString: error)
            let reason = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            return .failure(Failure(description: "SMTP \(settings.host):\(settings.port): \(reason)"))
        }
        return .success(())
    }

    /// The message's bytes, handed to libcurl as it asks for them.
    final class MessageSource {
        let bytes: [UInt8]
        var offset = 0

        init(_ bytes: [UInt8]) {
            self.bytes = bytes
        }
    }

    private static let readMessage: runclinic_curl_read_callback = { buffer, size, count, context in
        guard let buffer, let context else { return 0 }
        let source = Unmanaged<MessageSource>.fromOpaque(context).takeUnretainedValue()
        let length = min(size * count, source.bytes.count - source.offset)
        guard length > 0 else { return 0 }
        source.bytes.withUnsafeBytes { raw in
            UnsafeMutableRawPointer(buffer).copyMemory(from: raw.baseAddress! + source.offset, byteCount: length)
        }
        source.offset += length
        return length
    }
}
