import Foundation
import Testing

@testable import RunclinicEngine

@Suite struct DocumentAndDatasetCheckTests {
    static let images = ImageHeaderTests.images

    static func lines(
        angle: Double, agreement: Double = 0.9, marks: Int = 300, upright: Double? = nil, alignment: Double? = nil,
        upsideDown: Double? = nil
    ) -> PageLines {
        PageLines(
            marks: marks, angle: angle, agreement: agreement, upright: upright, alignment: alignment,
            upsideDown: upsideDown)
    }

    @Test func textLineAnglesBecomeQuarterTurnsAndLean() throws {
        let upright = try #require(TextOrientation(Self.lines(angle: 179.2)))
        #expect(!upright.sideways && abs(upright.skew + 0.8) < 1e-9)
        let leaning = try #require(TextOrientation(Self.lines(angle: 25)))
        #expect(!leaning.sideways && leaning.skew == 25)
        let quarter = try #require(TextOrientation(Self.lines(angle: 92)))
        #expect(quarter.sideways && quarter.skew == 2)
        let quarterLeaning = try #require(TextOrientation(Self.lines(angle: 110)))
        #expect(quarterLeaning.sideways && quarterLeaning.skew == 20)
    }

    @Test func ascendersAndDescendersTellTheTurn() {
        #expect(TextOrientation(Self.lines(angle: 1, upright: 0.04))?.turn == 0)
        #expect(TextOrientation(Self.lines(angle: 1, upright: -0.04))?.turn == 180)
        // Upside down takes twice the evidence: short words rich in descenders lean that way upright.
        #expect(TextOrientation(Self.lines(angle: 1, upright: -0.02))?.turn == nil)
        #expect(TextOrientation(Self.lines(angle: 89, upright: -0.02))?.turn == 270)
        // Sideways lines are read after a quarter turn counter-clockwise.
        #expect(TextOrientation(Self.lines(angle: 89, upright: 0.04))?.turn == 90)
        #expect(TextOrientation(Self.lines(angle: 89, upright: -0.04))?.turn == 270)
        // Capitals and digits read the same either way up: the turn is uncertain, not guessed.
        let capitals = TextOrientation(Self.lines(angle: 89, upright: 0.008))
        #expect(capitals?.sideways == true && capitals?.turn == nil)
    }

    @Test func linesFlushAtTheRightBackWeakAscenders() {
        // Code and formulas say little by their ascenders; text set from the left, upside down,
        // ends flush at the right.
        #expect(TextOrientation(Self.lines(angle: 1, marks: 700, upright: -0.02, alignment: -0.2))?.turn == 180)
        #expect(TextOrientation(Self.lines(angle: 1, marks: 700, upright: -0.02, alignment: 0.2))?.turn == nil)
        #expect(TextOrientation(Self.lines(angle: 1, marks: 700, upright: -0.005, alignment: -0.3))?.turn == nil)
        // Sideways, the ascenders alone say which quarter.
        #expect(TextOrientation(Self.lines(angle: 89, marks: 700, upright: -0.012, alignment: -0.3))?.turn == nil)
        // A table's columns end flush at the right too, and a photographed page's lines converge:
        // the margins speak for a full page of clear lines only.
        #expect(TextOrientation(Self.lines(angle: 1, marks: 216, upright: -0.02, alignment: -0.2))?.turn == nil)
        #expect(
            TextOrientation(Self.lines(angle: 1, agreement: 0.58, marks: 700, upright: -0.02, alignment: -0.2))?.turn
                == nil)
    }

    @Test func characterShapesTellTheTurnWhereAscendersDoNot() {
        // Weak ascenders: the orientation network's logit decides, upside down when positive.
        let upsideDown = TextOrientation(Self.lines(angle: 1, upright: -0.02, upsideDown: 2.5))
        #expect(upsideDown?.turn == 180 && upsideDown?.toldBy == .characterShapes)
        #expect(TextOrientation(Self.lines(angle: 1, upright: 0.005, upsideDown: -2.5))?.turn == 0)
        // Sideways lines are read after a quarter turn counter-clockwise, as with the ascenders.
        #expect(TextOrientation(Self.lines(angle: 89, upright: 0.003, upsideDown: 2.5))?.turn == 270)
        #expect(TextOrientation(Self.lines(angle: 89, upsideDown: -2.5))?.turn == 90)
        // Near 0 the shapes do not say: uncertain, not guessed.
        let unsure = TextOrientation(Self.lines(angle: 89, upright: 0.003, upsideDown: 0.4))
        #expect(unsure?.sideways == true && unsure?.turn == nil && unsure?.toldBy == nil)
        // Where the ascenders do say, they are heard first.
        let ascenders = TextOrientation(Self.lines(angle: 1, upright: 0.04, upsideDown: 3))
        #expect(ascenders?.turn == 0 && ascenders?.toldBy == .ascenders)
        // Lines agreeing weakly (0.5-0.6) are a page when its characters say which way up it stands.
        #expect(TextOrientation(Self.lines(angle: 2, agreement: 0.55, upright: 0.002, upsideDown: 0.4))?.turn == nil)
        #expect(TextOrientation(Self.lines(angle: 2, agreement: 0.55, upright: 0.002, upsideDown: 2.5))?.turn == 180)
    }

    @Test func linesThatConvergeInPerspectiveStillTellTheLean() throws {
        // Many marks agreeing at 0.4-0.5: how far the page leans, not which way up it stands.
        let leaning = try #require(TextOrientation(Self.lines(angle: 147, agreement: 0.45, marks: 480)))
        #expect(!leaning.sideways && leaning.skew == -33 && leaning.turn == nil)
        // So do lines agreeing at 0.5-0.6 whose ascenders do not say which way up they stand.
        let smallPrint = try #require(
            TextOrientation(Self.lines(angle: 147, agreement: 0.55, marks: 480, upright: 0.002)))
        #expect(smallPrint.skew == -33 && smallPrint.turn == nil)
        #expect(TextOrientation(Self.lines(angle: 147, agreement: 0.45, marks: 200)) == nil)
        #expect(TextOrientation(Self.lines(angle: 147, agreement: 0.35, marks: 480)) == nil)
    }

    @Test func linesRunningDownThePageInPerspectiveTellAQuarterTurn() throws {
        // Agreeing at 0.42-0.6, they say the page was turned a quarter, not which way.
        let sideways = try #require(TextOrientation(Self.lines(angle: 91, agreement: 0.5, marks: 430, upright: 0.011)))
        #expect(sideways.sideways && sideways.turn == nil && abs(sideways.skew - 1) < 1e-9)
        #expect(TextOrientation(Self.lines(angle: 100, agreement: 0.45, marks: 200))?.sideways == true)
        // A page of tables photographed sideways, its lines converging: 611 marks at 0.444.
        #expect(TextOrientation(Self.lines(angle: 97, agreement: 0.444, marks: 611))?.sideways == true)
        // Too few marks, or too weak an agreement (an upright page read sideways at 0.36): nothing.
        #expect(TextOrientation(Self.lines(angle: 91, agreement: 0.6, marks: 160)) == nil)
        #expect(TextOrientation(Self.lines(angle: 91, agreement: 0.4, marks: 440)) == nil)
    }

    @Test func codeUpsideDownIsToldByItsRaggedLeft() throws {
        // A listing in a typewriter face: its ascenders say too little upside down (-0.027), its
        // lines, flush at the left and ragged at the right, say it.
        func inspect(_ name: String) -> ImageInspection {
            ImageInspection.inspect(path: Self.images.appendingPathComponent(name).path)
        }
        let upright = try #require(inspect("page_code.jpg").measures?.pageLines)
        #expect(try #require(upright.alignment) > 0.1)
        #expect(ImageQualityCheck().findings(for: inspect("page_code.jpg")).isEmpty)
        let upsideDown = inspect("page_code_upside_down.jpg")
        let lines = try #require(upsideDown.measures?.pageLines)
        #expect(try #require(lines.alignment) < -0.1)
        #expect(try #require(lines.upright) > -TextOrientation.minimumUpsideDownEvidence)
        let findings = ImageQualityCheck().findings(for: upsideDown)
        #expect(findings.map(\.issue) == [.rotated] && findings.first?.score == 180)
        #expect(findings.first?.detail.contains("ragged at the left") == true)
    }

    @Test func aTypewrittenPageUpsideDownIsToldByItsCharacterShapes() throws {
        // Small print in a typewriter face: upright its ascenders say so (0.021), upside down they
        // say too little (-0.020) and its lines are ragged at neither side; the orientation
        // network reads it upside down.
        func lines(_ name: String) throws -> (ImageInspection, PageLines) {
            let inspection = ImageInspection.inspect(path: Self.images.appendingPathComponent(name).path)
            return (inspection, try #require(inspection.measures?.pageLines))
        }
        let (upright, uprightLines) = try lines("page_typewriter.jpg")
        #expect(try #require(uprightLines.upright) >= TextOrientation.minimumUprightEvidence)
        #expect(ImageQualityCheck().findings(for: upright).isEmpty)
        let (upsideDown, upsideDownLines) = try lines("page_typewriter_upside_down.jpg")
        #expect(try #require(upsideDownLines.upright) > -TextOrientation.minimumUpsideDownEvidence)
        #expect(try #require(upsideDownLines.upsideDown) >= TextOrientation.networkMargin)
        let findings = ImageQualityCheck().findings(for: upsideDown)
        #expect(findings.map(\.issue) == [.rotated] && findings.first?.score == 180)
        #expect(findings.first?.detail.contains("the shapes of its characters read upside down") == true)
    }

    @Test func aPagePhotographedInPerspectiveIsSaidToLean() throws {
        // Its lines converge, so under half of its marks agree on one direction; there are
        // enough of them to say how far it leans (32 degrees), not which way up it stands.
        let inspection = ImageInspection.inspect(
            path: Self.images.appendingPathComponent("page_photographed_leaning.jpg").path)
        let lines = try #require(inspection.measures?.pageLines)
        #expect(lines.agreement < TextOrientation.minimumAgreement && lines.marks >= TextOrientation.leanOnlyMarks)
        let findings = ImageQualityCheck().findings(for: inspection)
        #expect(findings.map(\.issue) == [.skewed])
        #expect(abs((findings.first?.score ?? 0) - 32) < 2)
    }

    @Test func aPagePhotographedSidewaysInPerspectiveIsSaidToBeTurnedAQuarter() throws {
        // Its lines run down the page and converge: about half of its marks agree, and its
        // ascenders do not say which way it was turned, so the turn is told, not its direction.
        let inspection = ImageInspection.inspect(
            path: Self.images.appendingPathComponent("page_photographed_sideways.jpg").path)
        let lines = try #require(inspection.measures?.pageLines)
        #expect(
            lines.agreement < TextOrientation.convincingAgreement && lines.marks >= TextOrientation.quarterOnlyMarks)
        #expect(abs(lines.upright ?? 0) < TextOrientation.minimumUprightEvidence)
        let findings = ImageQualityCheck().findings(for: inspection)
        #expect(findings.map(\.issue) == [.rotated])
        #expect(abs((findings.first?.score ?? 0) - 92) < 3)
        #expect(findings.first?.detail.contains("turned a quarter: the text lines run down the page") == true)
    }

    @Test func photosAndSparseMarksAreNotDocuments() {
        #expect(TextOrientation(Self.lines(angle: 90, agreement: 0.24)) == nil)  // a photo's edges disagree
        #expect(TextOrientation(Self.lines(angle: 90, marks: 12)) == nil)
        #expect(TextOrientation(nil) == nil)
        // Weak agreement (a table's grain among the marks) counts only with text that says which way
        // up, or with many marks running down the page (see quarterOnlyMarks).
        #expect(TextOrientation(Self.lines(angle: 120, agreement: 0.55, marks: 190)) == nil)
        #expect(TextOrientation(Self.lines(angle: 30, agreement: 0.55, marks: 290)) == nil)
        #expect(TextOrientation(Self.lines(angle: 120, agreement: 0.55, upright: 0.03)) != nil)
        // Few marks must line up well: wood grain lines up 150 marks at 0.5-0.66.
        #expect(TextOrientation(Self.lines(angle: 88, agreement: 0.66, marks: 150, upright: 0.016)) == nil)
        #expect(TextOrientation(Self.lines(angle: 88, agreement: 0.92, marks: 150)) != nil)
    }

    @Test func theShimFindsTheTextLinesOfRealReceipts() throws {
        let measurer = try ImageMeasurer.shared()
        func lines(_ name: String) throws -> PageLines? {
            try measurer.measure(path: Self.images.appendingPathComponent(name).path).pageLines
        }
        let upright = try #require(try lines("receipt.jpg"))
        #expect(upright.angle < 2 || upright.angle > 178)
        let quarter = try #require(try lines("receipt_quarter.jpg"))
        #expect(abs(quarter.angle - 90) < 2)
        let skewed = try #require(try lines("receipt_skewed.jpg"))
        #expect(abs(skewed.angle - 155) < 2)  // 25 degrees counter-clockwise
        #expect(TextOrientation(try lines("photo.jpg")) == nil)
    }

    @Test func theShimTellsWhichWayUpAPageStandsScannedOrPhotographed() throws {
        let measurer = try ImageMeasurer.shared()
        func orientation(_ name: String) throws -> TextOrientation? {
            TextOrientation(try measurer.measure(path: Self.images.appendingPathComponent(name).path).pageLines)
        }
        #expect(try orientation("page.jpg")?.turn == 0)
        #expect(try orientation("page_upside_down.jpg")?.turn == 180)
        // On a striped table, in perspective and falling light, turned a quarter clockwise.
        #expect(try orientation("page_photographed.jpg")?.turn == 0)
        #expect(try orientation("page_photographed_quarter.jpg")?.turn == 90)
        // Capitals and digits only: sideways, but which way is not guessed.
        let receipt = try #require(try orientation("receipt_quarter.jpg"))
        #expect(receipt.sideways && receipt.turn == nil)
    }

    /// An audit of these images in a real store, with their thumbnails stored as inspections are.
    static func audit(_ images: [(image: DatasetChecks.Image, thumbnail: [UInt8]?)], in temporary: TemporaryStore)
        throws -> Int64
    {
        let auditID = try temporary.store.beginAudit(roots: ["test"], dataset: nil, thresholds: "", startedAt: 0)
        let withHashes = images.map { image, thumbnail in
            var image = image
            image.averageHash = DatasetChecks.averageHash(thumbnail)  // as the auditor does
            return image
        }
        try temporary.store.storeAuditChunk(auditID: auditID, inspections: [], images: withHashes, findings: [])
        let connection = try SQLiteConnection(path: temporary.path)
        for (image, thumbnail) in images {
            guard let thumbnail else { continue }
            let insert = try connection.prepare(
                """
                INSERT INTO image_inspections (path, size, mtime, content_hash, inspection, inspected_at, thumbnail, thumbnail_range)
                VALUES (?, 1, 0, 0, '{}', 0, ?, 255)
                """)
            insert.bind(image.path, at: 1)
            insert.bind(thumbnail, at: 2)
            try insert.run()
        }
        return auditID
    }

    static func image(_ path: String, hash: UInt64 = 0, pixels: Int = 1_000_000, content: UInt64? = nil)
        -> DatasetChecks.Image
    {
        var image = DatasetChecks.Image(
            path: path, readable: true, size: 1, contentHash: content ?? UInt64(path.hashValue.magnitude))
        image.differenceHash = hash
        image.width = 1_000
        image.height = pixels / 1_000
        return image
    }

    @Test func thumbnailsIgnoreBrightnessAndContrastButNotContent() {
        let scene: [UInt8] = (0..<2304).map { (index: Int) -> UInt8 in UInt8(30 + (index % 48) * 2 + (index / 48) * 2) }
        let brighter: [UInt8] = scene.map { (value: UInt8) -> UInt8 in UInt8(min(255, Int(value) * 11 / 10 + 12)) }
        var other = scene
        other.replaceSubrange(0..<576, with: other[0..<576].reversed())
        func distance(_ a: [UInt8]?, _ b: [UInt8]?) -> Double {
            DatasetChecks.thumbnailDistance(
                a.flatMap { DatasetChecks.normalisedThumbnail($0, range: 255) },
                b.flatMap { DatasetChecks.normalisedThumbnail($0, range: 255) })
        }
        #expect(distance(scene, brighter) < 0.03 && distance(scene, other) > DatasetChecks.thumbnailRadius)
        #expect(distance(scene, nil) == .infinity)
    }

    @Test func nearDuplicatesNeedASharedBandAndCloseThumbnails() throws {
        let temporary = try TemporaryStore()
        let scene: [UInt8] = (0..<2304).map { (index: Int) -> UInt8 in UInt8((index * 37) % 251) }
        let dimmer: [UInt8] = scene.map { (value: UInt8) -> UInt8 in value / 2 + 20 }
        let auditID = try Self.audit(
            [
                (Self.image("a.jpg", hash: 0xFFFF_0000_FFFF_0000), scene),
                (Self.image("b.jpg", hash: 0xFFFF_0000_FFFF_00FF), dimmer),  // 8 bits off, 7 bands shared
                // c: the same hash, another picture.
                (Self.image("c.jpg", hash: 0xFFFF_0000_FFFF_0000), Array(scene.reversed())),
                (Self.image("d.jpg", hash: 0xFFFF_0000_FFFF_0000, content: 42), scene),  // d and e: byte-identical
                (Self.image("e.jpg", hash: 0xFFFF_0000_FFFF_0000, content: 42), scene),
            ], in: temporary)
        let found = try temporary.store.withAuditImages(auditID: auditID) { images in
            (try DatasetChecks.nearDuplicates(images, radius: 12), try DatasetChecks.duplicates(images))
        }
        // d looks like a; e is d's byte-identical copy, a duplicate and nothing more.
        #expect(found.0.map(\.path) == ["b.jpg", "d.jpg"] && found.0.allSatisfy { $0.group == "a.jpg" })
        #expect(found.1.map(\.path) == ["e.jpg"] && found.1.first?.group == "d.jpg")
    }

    @Test func onlySparsePagesMustAgreeOnTheirCharacterCounts() throws {
        let temporary = try TemporaryStore()
        let page: [UInt8] = (0..<2304).map { (index: Int) -> UInt8 in UInt8((index * 37) % 251) }
        let blank = Array(page.reversed())
        let otherBlank = blank.enumerated().map {
            $0.offset % 4 == 0 ? UInt8(min(255, Int($0.element) + 18)) : $0.element
        }
        let sparse: [UInt8] = (0..<2304).map { (index: Int) -> UInt8 in UInt8((index * 53) % 241) }
        let sparseResized = sparse.enumerated().map {
            $0.offset % 16 == 0 ? UInt8(min(255, Int($0.element) + 6)) : $0.element
        }
        let printed: [UInt8] = (0..<2304).map { (index: Int) -> UInt8 in UInt8((index * 29) % 239) }
        let printedResized = printed.enumerated().map {
            $0.offset % 4 == 0 ? UInt8(min(255, Int($0.element) + 18)) : $0.element
        }
        func distance(_ a: [UInt8], _ b: [UInt8]) -> Double {
            DatasetChecks.thumbnailDistance(
                DatasetChecks.normalisedThumbnail(a, range: 255), DatasetChecks.normalisedThumbnail(b, range: 255))
        }
        // Counts that disagree ask for thumbnails as close as a re-encoded copy's.
        #expect(distance(blank, otherBlank) > DatasetChecks.copyThumbnailRadius)
        #expect(distance(blank, otherBlank) < DatasetChecks.thumbnailRadius)
        #expect(distance(printed, printedResized) > DatasetChecks.copyThumbnailRadius)
        #expect(distance(printed, printedResized) < DatasetChecks.thumbnailRadius)
        #expect(distance(sparse, sparseResized) < DatasetChecks.copyThumbnailRadius)
        func document(_ path: String, marks: Int) -> DatasetChecks.Image {
            var image = Self.image(path, hash: 0xFFFF_0000_FFFF_0000)
            image.textMarks = marks
            return image
        }
        let auditID = try Self.audit(
            [
                // A page of small print and its copy resized to two thirds: words merge differently.
                (document("print.png", marks: 1_132), page),
                (document("print_resized.jpg", marks: 387), page),
                // Two near-blank pages of one layout: a few lines, counts 20% apart, thumbnails close.
                (document("blank_a.png", marks: 120), blank),
                (document("blank_b.png", marks: 150), otherBlank),
                // A sparse page and its copy resized to under half: 13% fewer marks, the same thumbnail.
                (document("sparse.png", marks: 38), sparse),
                (document("sparse_resized.jpg", marks: 33), sparseResized),
                // A page of 382 marks and its copy resized to 60%, whose merged print counts 154:
                // one of the two is not sparse, so their counts are no guide.
                (document("printed.png", marks: 382), printed),
                (document("printed_resized.jpg", marks: 154), printedResized),
            ], in: temporary)
        let found = try temporary.store.withAuditImages(auditID: auditID) { images in
            try DatasetChecks.nearDuplicates(images, radius: 12)
        }
        #expect(found.map(\.path) == ["print_resized.jpg", "sparse_resized.jpg", "printed_resized.jpg"])
        #expect(found.map(\.group) == ["print.png", "sparse.png", "printed.png"])
        #expect(found.map(\.threshold) == [0.1, DatasetChecks.copyThumbnailRadius, DatasetChecks.thumbnailRadius])
    }

    @Test func oddSizesAreTwentyTimesOffTheMedian() throws {
        let temporary = try TemporaryStore()
        var images = (0..<30).map { (Self.image("p\($0)", pixels: 1_000_000 + $0 * 20_000), nil as [UInt8]?) }
        images.append((Self.image("half", pixels: 500_000), nil))  // a robust z far over 4, but only 2x off
        images.append((Self.image("tiny", pixels: 30_000), nil))
        let auditID = try Self.audit(images, in: temporary)
        let found = try temporary.store.withAuditImages(auditID: auditID) { images in try DatasetChecks.oddSizes(images)
        }
        #expect(found.map(\.path) == ["tiny"])
    }
}
