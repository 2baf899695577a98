using Spectre.Console;

namespace Datacake.Streams.Cli;

/// <summary>
/// Progress bars go to stderr: stdout carries only the JSON answer (or the drill's key=value lines), so that a script
/// can parse it whether or not a terminal is attached.
/// </summary>
public static class OperatorConsole
{
    private static readonly IAnsiConsole _errors = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });

    public static Progress Progress() => _errors.Progress();
}
