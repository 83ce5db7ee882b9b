namespace RealTimeDistributor.IntegrationTests.Support;

/// <summary>Finds a host's built dll (the test project references the hosts, so they are built with the same configuration).</summary>
public static class Executables
{
    public static string Path(string project)
    {
        var here = AppContext.BaseDirectory;
        var configuration = here.Contains($"{System.IO.Path.DirectorySeparatorChar}Release{System.IO.Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var root = new DirectoryInfo(here);
        while (root is not null && !File.Exists(System.IO.Path.Combine(root.FullName, "RealTimeDistributor.sln")))
        {
            root = root.Parent;
        }
        if (root is null)
        {
            throw new InvalidOperationException($"RealTimeDistributor.sln not found above {here}");
        }
        var dll = System.IO.Path.Combine(root.FullName, "src", project, "bin", configuration, "net10.0", $"{project}.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build {project} first", dll);
    }
}
