import Testing

@testable import RunclinicEngine

/// What the audit's gallery says of an issue's findings (the page itself is checked in a browser by
/// the Python tests).
@Suite struct AuditGalleryTests {
    static func blurry(_ score: Double?, _ threshold: Double?) -> AuditFinding {
        AuditFinding(
            path: "/d/a.jpg", issue: .blurry, severity: .warning, score: score, threshold: threshold, detail: "")
    }

    @Test func anIssueDecidedByTwoMeasuresShowsBothBarsTheMostUsedFirst() {
        let findings = [Self.blurry(3, 20), Self.blurry(0.6, 0.55), Self.blurry(8, 20), Self.blurry(nil, nil)]
        #expect(AuditGalleryWriter.thresholds(findings) == "20.00 / 0.55")
        #expect(AuditGalleryWriter.thresholds([Self.blurry(3, 20)]) == "20.00")
        #expect(AuditGalleryWriter.thresholds([Self.blurry(nil, nil)]) == "-")
    }

    @Test func aFindingWithoutAScoreSaysFalseSoTheIssuesThresholdIsNotBorrowed() {
        let figure = AuditGalleryWriter.figure(Self.blurry(nil, nil), [:])
        #expect(figure["score"] as? Bool == false && figure["threshold"] as? Bool == false)
        let scored = AuditGalleryWriter.figure(Self.blurry(3, 20), [:])
        #expect(scored["score"] as? String == "3.00" && scored["threshold"] as? String == "20.00")
    }
}
