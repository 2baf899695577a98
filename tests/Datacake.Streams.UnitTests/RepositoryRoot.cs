namespace Datacake.Streams.UnitTests;

/// <summary>The checkout the tests run from: the folder holding Datacake.Streams.sln above the test binaries.</summary>
internal static class RepositoryRoot
{
    private static readonly Lazy<string> s_path = new(Find);

    public static string Path => s_path.Value;

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Datacake.Streams.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Datacake.Streams.sln not found above " + AppContext.BaseDirectory);
    }
}
