import Foundation
import RunclinicJSON
import Testing

@testable import RunclinicEngine

/// The inspection's JSON, as it crosses the workers' pipes and is stored for later audits.
@Suite struct InspectionJSONTests {
    static func inspect(_ name: String) -> ImageInspection {
        ImageInspection.inspect(path: ImageHeaderTests.images.appendingPathComponent(name).path)
    }

    /// The names of the stored properties that hold a value (an optional's nil is left out).
    static func propertiesWithValues(_ value: Any) -> [String] {
        Mirror(reflecting: value).children.compactMap { child in
            let inner = Mirror(reflecting: child.value)
            if inner.displayStyle == .optional && inner.children.isEmpty { return nil }
            return child.label
        }
    }

    static func keys(_ value: JSONValue?) -> Set<String> {
        Set(value?.objectValue?.keys ?? [])
    }

    @Test(arguments: [
        "page_photographed_diagram_turned.jpg", "page_upside_down.jpg", "photo.jpg", "photo_pixels_grey.png",
        "photo_cmyk.jpg",
    ])
    func everyMeasureOfARealImageCrossesAndComesBack(_ name: String) throws {
        let inspection = Self.inspect(name)
        let measures = try #require(inspection.measures)
        let json = inspection.json
        // Every property with a value is written: a measure added to the struct but not to the
        // codec would be dropped on its way from the worker.
        #expect(Set(Self.propertiesWithValues(inspection)) == Self.keys(json))
        #expect(Set(Self.propertiesWithValues(measures)) == Self.keys(json["measures"]))
        #expect(Set(Self.propertiesWithValues(try #require(inspection.header))) == Self.keys(json["header"]))
        if let lines = measures.pageLines {
            #expect(Set(Self.propertiesWithValues(lines)) == Self.keys(json["measures"]?["pageLines"]))
        }
        if let outline = measures.pageOutline {
            #expect(Set(Self.propertiesWithValues(outline)) == Self.keys(json["measures"]?["pageOutline"]))
        }
        let read = try ImageInspection(jsonBytes: inspection.jsonBytes())
        #expect(read.json == json)
        #expect(read.jsonBytes() == inspection.jsonBytes())
        #expect(read.measures?.thumbnail == measures.thumbnail)
        #expect(read.measures?.keypoints == measures.keypoints)
        #expect(read.measures?.differenceHash == measures.differenceHash)
        #expect(read.contentHash == inspection.contentHash)
    }

    @Test func theTurnedDiagramCarriesItsOutlineAndLines() {
        // So that the test above has crossed both nested objects.
        let measures = Self.inspect("page_photographed_diagram_turned.jpg").measures
        #expect(measures?.pageOutline != nil)
        #expect(measures?.pageLines != nil)
    }

    @Test func aHashPastSixtyThreeBitsAndNumbersThatAreNotFiniteComeBackExactly() throws {
        var inspection = Self.inspect("photo.jpg")
        inspection.contentHash = UInt64.max - 12_345
        let measures = try #require(inspection.measures)
        inspection.measures = ImageMeasures(
            width: measures.width, height: measures.height, channels: measures.channels,
            laplacianVariance: .nan, sharpness: .infinity, edgeDensity: -.infinity,
            meanBrightness: measures.meanBrightness, darkFraction: 0, brightFraction: 0, entropy: 0, darkestLevel: 0,
            brightestLevel: 255, colourfulness: 0, differenceHash: UInt64(1) << 63 | 7, thumbnail: measures.thumbnail,
            thumbnailRange: 255, textMarks: nil, pageLines: nil, sharpnessRatio: nil, colourSpread: nil,
            blurEffect: nil, paperShare: nil, coarseDetail: nil, clippedFraction: nil, highlightLevel: nil)
        let text = String(decoding: inspection.jsonBytes(), as: UTF8.self)
        // Strict JSON, which PostgreSQL's jsonb stores: not-finite numbers are strings.
        #expect(text.contains("\"laplacianVariance\":\"NaN\""))
        #expect(text.contains("\"sharpness\":\"Infinity\""))
        #expect(text.contains("\"contentHash\":18446744073709539270"))
        let read = try ImageInspection(jsonBytes: Array(text.utf8))
        #expect(read.contentHash == UInt64.max - 12_345)
        #expect(read.measures?.differenceHash == UInt64(1) << 63 | 7)
        #expect(read.measures?.laplacianVariance.isNaN == true)
        #expect(read.measures?.sharpness == .infinity)
        #expect(read.measures?.edgeDensity == -.infinity)
    }

    @Test func anInspectionStoredByAnEarlierBuildStillReads() throws {
        // As Foundation's JSONEncoder stored it (escaped slashes, members in any order, a hash
        // past Int64, the thumbnail kept in its own column).
        let stored = #"""
            {"path":"\/data\/img_03c7ad27.jpg","version":28,"header":{"height":837,"isTruncated":false,"format":"jpeg","byteCount":78896,"width":1116},"measures":{"pageOutline":{"angle":7.188307330352134,"agreement":0.9791926745820966,"fourSided":1,"area":0.19908854166666667},"darkestLevel":96,"darkFraction":0,"differenceHash":18446743520718843202,"sharpnessRatio":3.269629237241048,"colourSpread":5.5,"highlightLevel":207,"meanBrightness":147.3957494099935,"sharpness":1786.913802087307,"thumbnailRange":96.83333333333334,"brightFraction":0,"colourfulness":5.457565589687,"channels":3,"paperShare":0.44599917879231143,"width":1116,"edgeDensity":0.027215321858723957,"coarseDetail":0.649021710772441,"entropy":5.814668810498725,"pageLines":{"marks":348,"angle":2.7729453809923648,"agreement":0.5930232558139535,"alignment":0.2745627572016461,"upright":0.0006086427267194157,"upsideDown":-2.147794839926064},"clippedFraction":0,"thumbnail":"","brightestLevel":210,"laplacianVariance":138.19847240192757,"height":837}}
            """#
        let read = try ImageInspection(jsonBytes: Array(stored.utf8))
        #expect(read.path == "/data/img_03c7ad27.jpg")
        #expect(read.header?.format == .jpeg)
        #expect(read.header?.byteCount == 78_896)
        #expect(read.measures?.differenceHash == 18_446_743_520_718_843_202)
        #expect(read.measures?.pageLines?.upsideDown == -2.147794839926064)
        #expect(read.measures?.pageOutline?.fourSided == 1)
        #expect(read.measures?.detailRetention == nil)
        #expect(read.measures?.thumbnail.isEmpty == true)
        let unreadable = try ImageInspection(
            jsonBytes: Array(
                #"{"version":28,"unreadable":{"score":0,"detail":"the file is empty"},"path":"\/data\/empty.jpg"}"#.utf8
            ))
        #expect(unreadable.unreadable?.detail == "the file is empty")
        #expect(unreadable.unreadable?.score == 0)
    }

    @Test func aFileThatCannotBeOpenedCrossesWithItsReason() throws {
        let missing = ImageInspection.inspect(path: "/no/such/folder/image.jpg")
        let read = try ImageInspection(jsonBytes: missing.jsonBytes())
        #expect(read.unreadable?.detail == "no such file")
        #expect(read.measures == nil && read.header == nil)
        #expect(read.json == missing.json)
        #expect(
            Set(Self.propertiesWithValues(try #require(missing.unreadable))) == Self.keys(missing.json["unreadable"]))
    }

    @Test func aFieldOfTheWrongTypeIsNamed() {
        #expect(throws: InspectionJSONError(field: "inspection.version", problem: "must be an integer, not string")) {
            try ImageInspection(jsonBytes: Array(#"{"path":"a.jpg","version":"28"}"#.utf8))
        }
        #expect(throws: InspectionJSONError(field: "inspection.measures.width", problem: "is missing")) {
            try ImageInspection(jsonBytes: Array(#"{"path":"a.jpg","version":28,"measures":{}}"#.utf8))
        }
        #expect(throws: InspectionJSONError(field: "inspection.header.format", problem: "names no known format")) {
            try ImageInspection(
                jsonBytes: Array(#"{"path":"a.jpg","version":28,"header":{"byteCount":1,"format":"jxl"}}"#.utf8))
        }
        #expect(throws: InspectionJSONError.self) { try ImageInspection(jsonBytes: Array("{\"path\":".utf8)) }
    }
}
