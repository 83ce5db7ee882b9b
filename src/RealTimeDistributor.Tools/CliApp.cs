using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace RealTimeDistributor.Tools;

/// <summary>
/// The exit codes of rtd and rtd-lab (README.md#exit-codes): 0 done; 1 the command ran and found a problem, or a service
/// refused the request; 2 bad input (an unknown command or option, a missing or malformed value or file, an unknown
/// table); 3 a service does not answer; 4 a service refuses the login.
/// </summary>
public static class ExitCodes
{
    public const int Done = 0;
    public const int Failed = 1;
    public const int Usage = 2;
    public const int Unreachable = 3;
    public const int LoginRefused = 4;
}

/// <summary>
/// rtd and rtd-lab on System.CommandLine: commands built from options and arguments that hand the command an
/// <see cref="Options"/>; a parse error, or any failure of the command, is one line on stderr with its exit code.
/// </summary>
public static partial class CliApp
{
    public static Option<string> Value(string name, string valueName, string description) =>
        new($"--{name}") { HelpName = valueName, Description = description };

    public static Option<bool> Flag(string name, string description) => new($"--{name}") { Description = description };

    public static Argument<string> Word(string name, string description) => new(name) { Description = description };

    public static Argument<string?> OptionalWord(string name, string description) =>
        new(name) { Description = description, Arity = ArgumentArity.ZeroOrOne };

    /// <summary>Any number of words (`rtd-lab bench config commit`); a word like an option is an unknown option, not a word.</summary>
    public static Argument<string[]> Words(string name, string description)
    {
        var argument = new Argument<string[]>(name) { Description = description, Arity = ArgumentArity.ZeroOrMore };
        argument.Validators.Add(result =>
        {
            if (result.Tokens.FirstOrDefault(t => t.Value.StartsWith('-')) is { } token && result.Parent is CommandResult command)
            {
                result.AddError(Unknown(command.Command, token.Value));
            }
        });
        return argument;
    }

    /// <summary>A command that runs <paramref name="run"/> with what it was given.</summary>
    public static Command Command(string name, string description, Func<Options, Task<int>> run, params Symbol[] symbols)
    {
        var command = Group(name, description);
        foreach (var symbol in symbols)
        {
            switch (symbol)
            {
                case Option option:
                    command.Options.Add(option);
                    break;
                case Argument argument:
                    command.Arguments.Add(argument);
                    break;
            }
        }
        command.SetAction((parse, _) => run(Options.From(parse)));
        return command;
    }

    /// <summary>A command of verbs (`rtd config list|get|...`): called without one, it names them.</summary>
    public static Command Group(string name, string description, params Command[] verbs)
    {
        var command = new Command(name, description);
        foreach (var verb in verbs)
        {
            command.Subcommands.Add(verb);
        }
        return command;
    }

    /// <summary>
    /// Parses and runs. `--help` prints the command's usage (exit 0); a parse error is one line with the library's
    /// suggestion (exit 2); an exception of the command is one line naming what failed (<see cref="Describe"/>).
    /// </summary>
    public static async Task<int> RunAsync(RootCommand root, string[] args, Func<Exception, (int Code, string Message)?>? describe = null)
    {
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            await Console.Error.WriteLineAsync($"{Path(parse)}: {ParseError(parse)}");
            return ExitCodes.Usage;
        }
        // the last resort for a failure on another thread (an event handler, a timer): one line too, not a trace and an abort
        AppDomain.CurrentDomain.UnhandledException += (_, e) =>
        {
            var (code, message) = e.ExceptionObject is Exception failure ? describe?.Invoke(failure) ?? Describe(failure) : (ExitCodes.Failed, $"{e.ExceptionObject}");
            Console.Error.WriteLine($"{Path(parse)}: {OneLine(message)}");
            Environment.Exit(code);
        };
        try
        {
            // no handler of the library's for Ctrl-C or SIGTERM: the commands that run until stopped handle them
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
        }
        catch (Exception exception)
        {
            var (code, message) = describe?.Invoke(exception) ?? Describe(exception);
            await Console.Error.WriteLineAsync($"{Path(parse)}: {OneLine(message)}");
            return code;
        }
    }

    /// <summary>The exit code and the line for a failure of a command.</summary>
    public static (int Code, string Message) Describe(Exception exception) => exception switch
    {
        UsageException => (ExitCodes.Usage, exception.Message),
        CommandFailedException => (ExitCodes.Failed, exception.Message),
        UnreachableException => (ExitCodes.Unreachable, exception.Message),
        LoginRefusedException => (ExitCodes.LoginRefused, exception.Message),
        Hosting.ServiceUnreachableException => (ExitCodes.Unreachable, exception.Message),
        Hosting.InvalidConfigurationException => (ExitCodes.Usage, exception.Message),
        FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or PathTooLongException => (ExitCodes.Usage, exception.Message),
        RabbitMQ.Client.Exceptions.BrokerUnreachableException { InnerException: RabbitMQ.Client.Exceptions.AuthenticationFailureException refused } =>
            (ExitCodes.LoginRefused, $"the broker refuses the login ({refused.Message}); check the user and password (RTD_RABBITMQ_USER / RTD_RABBITMQ_PASSWORD)"),
        RabbitMQ.Client.Exceptions.BrokerUnreachableException broker =>
            (ExitCodes.Unreachable, $"the broker does not answer ({broker.InnerException?.Message ?? broker.Message}); check RTD_RABBITMQ_HOST / RTD_RABBITMQ_PORT"),
        HttpRequestException http => (ExitCodes.Unreachable, $"{http.Message} {http.InnerException?.Message}".Trim()),
        OperationCanceledException => (130, "stopped"),
        _ => (ExitCodes.Failed, $"{exception.GetType().Name}: {exception.GetBaseException().Message}"),
    };

    /// <summary>"rtd config list": the command the line is about.</summary>
    private static string Path(ParseResult parse)
    {
        var names = new List<string>();
        for (SymbolResult? result = parse.CommandResult; result is not null; result = result.Parent)
        {
            if (result is CommandResult command)
            {
                names.Insert(0, command.Parent is null ? parse.RootCommandResult.Command.Name : command.Command.Name);
            }
        }
        return string.Join(' ', names);
    }

    /// <summary>
    /// The first thing the parser could not place, with the names of the command it resembles (an unknown option or
    /// command comes first: later errors follow from it), or the parser's first error; and where the usage is.
    /// </summary>
    private static string ParseError(ParseResult parse)
    {
        var where = $"{Path(parse)} --help shows the usage";
        return parse.UnmatchedTokens.FirstOrDefault() is { } token
            ? $"{Unknown(parse.CommandResult.Command, token)}; {where}"
            : $"{OneLine(parse.Errors[0].Message)} ({where})";
    }

    /// <summary>"unknown option '--agnets' (did you mean --agents?)": the names of the command the token resembles.</summary>
    private static string Unknown(Command command, string token)
    {
        var names = command.Options.SelectMany(o => o.Aliases.Prepend(o.Name)).Concat(command.Subcommands.Select(c => c.Name));
        var near = names.Where(n => n.Length > 2 && Distance(token.TrimStart('-'), n.TrimStart('-')) <= Math.Max(1, token.Length / 3)).ToList();
        var kind = token.StartsWith('-') ? "option" : command.Subcommands.Count > 0 ? "command" : "argument";
        return $"unknown {kind} '{token}'{(near.Count > 0 ? $" (did you mean {string.Join(" or ", near)}?)" : "")}";
    }

    /// <summary>Edits (insert, delete, replace) from one word to the other.</summary>
    private static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var diagonal = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
    }

    private static string OneLine(string text) => Spaces().Replace(text.Trim(), " ");

    [GeneratedRegex(@"\s*[\r\n]+\s*")]
    private static partial Regex Spaces();
}
