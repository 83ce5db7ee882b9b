namespace RealTimeDistributor.Tools;

/// <summary>
/// Runs one command of a tool (rtd, rtd-lab): a <see cref="UsageException"/> prints its message and the usage (exit code
/// 64), a <see cref="CommandFailedException"/> its message (1), an <see cref="UnreachableException"/> its message (3),
/// each prefixed with the tool's name.
/// </summary>
public static class ToolRun
{
    public static async Task<int> RunAsync(string tool, string usage, Func<Task<int>> command)
    {
        try
        {
            return await command();
        }
        catch (UsageException exception)
        {
            Console.Error.WriteLine($"{tool}: {exception.Message}");
            Console.Error.WriteLine(usage);
            return 64;
        }
        catch (CommandFailedException exception)
        {
            Console.Error.WriteLine($"{tool}: {exception.Message}");
            return 1;
        }
        catch (UnreachableException exception)
        {
            Console.Error.WriteLine($"{tool}: {exception.Message}");
            return 3;
        }
    }

    /// <summary>Prints the usage (to stdout for exit code 0, else to stderr) and returns <paramref name="code"/>.</summary>
    public static Task<int> Help(string usage, int code)
    {
        (code == 0 ? Console.Out : Console.Error).WriteLine(usage);
        return Task.FromResult(code);
    }
}
