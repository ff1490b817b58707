import Foundation
import Hummingbird
import Mustache
import NIOCore
import TruyVetCore

/// The page templates (mustache, bundle resources, HTML-escaped by default) and the one stylesheet.
enum Views {
    static let library: MustacheLibrary = {
        guard let directory = Bundle.module.url(forResource: "templates", withExtension: nil),
              let files = try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil) else {
            fatalError("the page templates are missing from the bundle")
        }
        var library = MustacheLibrary()
        for file in files where file.pathExtension == "mustache" {
            guard let text = try? String(contentsOf: file, encoding: .utf8) else { fatalError("cannot read template \(file.lastPathComponent)") }
            do { try library.register(text, named: file.deletingPathExtension().lastPathComponent) } catch {
                fatalError("template \(file.lastPathComponent) does not parse: \(error)")
            }
        }
        return library
    }()

    static let stylesheet: [UInt8] = {
        guard let url = Bundle.module.url(forResource: "style", withExtension: "css"), let data = try? Data(contentsOf: url) else {
            fatalError("style.css is missing from the bundle")
        }
        return [UInt8](data)
    }()

    /// `GET /style.css`.
    static func stylesheetResponse() -> Response {
        Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600"],
                 body: .init(byteBuffer: ByteBuffer(bytes: stylesheet)))
    }

    /// Renders a template into a `text/html; charset=utf-8` page that is never cached.
    static func page(_ name: String, _ context: Any, status: HTTPResponse.Status = .ok) -> Response {
        guard let html = library.render(context, withTemplate: name) else { fatalError("no template named \(name)") }
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A page with a heading and a sentence, in Vietnamese and English.
    static func message(_ heading: String, _ headingEn: String, _ text: String, _ textEn: String,
                        link: Link? = nil, session: SessionView? = nil, visitor: Bool = true, status: HTTPResponse.Status) -> Response {
        page("message", MessageView(heading: heading, headingEn: headingEn, text: text, textEn: textEn, link: link,
                                    session: session, visitor: visitor), status: status)
    }

    struct Link { let href: String; let label: String; let en: String }

    struct MessageView {
        let heading: String, headingEn: String, text: String, textEn: String
        let link: Link?
        let session: SessionView?
        let visitor: Bool
    }

    /// What the page header shows of a signed-in session (its name, linking to its home page) and the CSRF token its
    /// forms carry.
    struct SessionView {
        let name: String
        let home: String
        let csrf: String
    }

    /// What a form shows beside the field `name` when `error` is about it.
    static func beside(_ error: AppError?, _ name: String) -> String? {
        error.flatMap { $0.field == name ? $0.bilingual : nil }
    }

    /// What a form shows above itself: an error about none of its `placed` fields (those are shown beside them).
    static func above(_ error: AppError?, placed: [String]) -> String? {
        error.flatMap { placed.contains($0.field ?? "") ? nil : $0.bilingual }
    }

    /// One labelled input (`field.mustache`); `name` is the JSON API's field name.
    struct Field {
        let name: String
        let label: String
        let en: String
        var value: String = ""
        var error: String? = nil
        var type = "text"
        var required = false
        var inputmode: String? = nil
        var autocomplete: String? = nil
        var maxlength: String? = nil
        var autofocus = false
        /// Tells apart two fields of one name on a page (their ids `f-name-suffix`).
        var idSuffix: String? = nil
    }
}
