using Microsoft.Extensions.FileProviders;

namespace Datacake.Streams.Hosting.Portal;

/// <summary>
/// The portal: static files (HTML, ES modules, CSS, uPlot from npm) served by the host itself at <c>/</c>, beside the
/// API under <c>/v1</c>. The files sit in <c>portal/</c> next to the host's assembly (copied there by the build), not
/// under the content root: the host is started from any working directory (tests start it inside its data folder).
/// </summary>
public static class PortalSite
{
    /// <summary>Folder of the site, relative to the host's assembly.</summary>
    public const string Folder = "portal";

    /// <summary>
    /// Scripts, styles, images and API calls from this origin only; no inline script or style attribute, no framing,
    /// no plugins. The token lives in sessionStorage, so an injected script would be the way to steal it: the CSP is
    /// the second wall after the page's own escaping (it writes text with textContent, never innerHTML).
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
        "font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>Serves the site when its folder exists (a build without the portal serves the API alone).</summary>
    public static WebApplication UsePortal(this WebApplication app)
    {
        var root = Path.Combine(AppContext.BaseDirectory, Folder);
        if (!Directory.Exists(root))
        {
            app.Logger.LogWarning("No portal files in {Folder}: the host serves the API only", root);
            return app;
        }

        var files = new PhysicalFileProvider(root);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files, RequestPath = string.Empty });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            RequestPath = string.Empty,
            OnPrepareResponse = context =>
            {
                var headers = context.Context.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                headers.XFrameOptions = "DENY";
                // The site is a few small files that change with the host's version: revalidated on every load
                // (ETag answers 304), so a new host never runs with an old script.
                headers.CacheControl = "no-cache";
            },
        });
        return app;
    }
}
