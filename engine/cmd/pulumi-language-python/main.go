// Command pulumi-language-python is Rollway's build of a Python language host for the Pulumi engine.
//
// Pulumi's own host lives in a nested Go module (sdk/python/cmd/pulumi-language-python) that the Go module
// proxy does not serve, so `make engine` cannot build it. This host is written against the same pieces the
// proxy does serve: the LanguageRuntime gRPC service of github.com/pulumi/pulumi/sdk/v3, the Python toolchain
// package from that module (the code that finds a project's virtualenv for pip, uv and poetry), and the
// `pulumi-language-python-exec` launcher script shipped in that module, which `make engine` copies next to
// this binary. It runs programs and policy packs, and generates and links SDKs for `pulumi package add` with
// Pulumi's Python code generator from pkg/v3; program conversion (`pulumi convert`) answers Unimplemented.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	pbempty "google.golang.org/protobuf/types/known/emptypb"

	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
	"google.golang.org/grpc"
)

// version is set at build time (-ldflags -X main.version=...) to the Pulumi version the host was built with.
var version = "0.0.0-dev"

// userActionableExit is the exit code the launcher script uses after it has already shown the user a message.
const userActionableExit = 32

// pluginPackagesScript prints, as JSON, the resource plugins the installed Python packages declare in their
// pulumi-plugin.json (the same metadata Pulumi's provider SDKs ship).
const pluginPackagesScript = `
import json, importlib.metadata as md
found = {}
for dist in md.distributions():
    for f in dist.files or ():
        if f.name == "pulumi-plugin.json":
            try:
                data = json.loads(f.read_text() or "{}")
            except Exception:
                continue
            if data.get("resource") and data.get("name"):
                found[data["name"]] = {"name": data["name"], "version": data.get("version") or dist.version,
                                       "server": data.get("server", "")}
print(json.dumps(sorted(found.values(), key=lambda p: p["name"])))
`

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
	execScript    string
}

func main() {
	args := os.Args[1:]
	// The engine passes its own address last; flags such as -tracing may come before it.
	var engineAddress string
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			engineAddress = a
		}
	}
	self, err := os.Executable()
	if err != nil {
		fail("cannot locate this executable: %v", err)
	}
	script := filepath.Join(filepath.Dir(self), "pulumi-language-python-exec")
	if _, err := os.Stat(script); err != nil {
		fail("the launcher %s is missing (run `make engine`)", script)
	}
	h := &host{engineAddress: engineAddress, execScript: script}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(s *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(s, h)
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		fail("could not start the language host: %v", err)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fail("language host stopped: %v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pulumi-language-python: "+format+"\n", args...)
	os.Exit(1)
}

// resolve finds the toolchain (pip, uv or poetry, and the virtualenv) from the runtime options of Pulumi.yaml
// or PulumiPolicy.yaml, exactly as those files spell them.
func resolve(info *pulumirpc.ProgramInfo) (toolchain.Toolchain, error) {
	if info == nil {
		return nil, errors.New("the engine sent no program info")
	}
	opts := toolchain.PythonOptions{Root: info.RootDirectory, ProgramDir: info.ProgramDirectory}
	if info.Options != nil {
		m := info.Options.AsMap()
		if v, ok := m["virtualenv"].(string); ok {
			opts.Virtualenv = v
		}
		switch tc, _ := m["toolchain"].(string); strings.ToLower(tc) {
		case "", "auto":
			opts.Toolchain = toolchain.Auto
			if opts.Virtualenv != "" {
				opts.Toolchain = toolchain.Pip
			}
		case "pip":
			opts.Toolchain = toolchain.Pip
		case "uv":
			opts.Toolchain = toolchain.Uv
		case "poetry":
			opts.Toolchain = toolchain.Poetry
		default:
			return nil, fmt.Errorf("unsupported Python toolchain %q in the runtime options (pip, uv or poetry)", tc)
		}
		switch tcheck, _ := m["typechecker"].(string); strings.ToLower(tcheck) {
		case "":
		case "mypy":
			opts.Typechecker = toolchain.TypeCheckerMypy
		case "pyright":
			opts.Typechecker = toolchain.TypeCheckerPyright
		default:
			return nil, fmt.Errorf("unsupported Python typechecker %q in the runtime options (mypy or pyright)", tcheck)
		}
	}
	return toolchain.ResolveToolchain(opts)
}

type pluginPackage struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Server  string `json:"server"`
}

func (h *host) pluginPackages(ctx context.Context, info *pulumirpc.ProgramInfo) ([]pluginPackage, error) {
	tc, err := resolve(info)
	if err != nil {
		return nil, err
	}
	cmd, err := tc.Command(ctx, "-c", pluginPackagesScript)
	if err != nil {
		return nil, err
	}
	cmd.Dir = info.ProgramDirectory
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("listing the program's Pulumi packages failed: %v: %s", err, stderr.String())
	}
	var pkgs []pluginPackage
	if err := json.Unmarshal(out, &pkgs); err != nil {
		return nil, fmt.Errorf("listing the program's Pulumi packages gave unreadable output: %v", err)
	}
	for i := range pkgs {
		if !strings.HasPrefix(pkgs[i].Version, "v") {
			pkgs[i].Version = "v" + pkgs[i].Version
		}
	}
	return pkgs, nil
}

func (h *host) Handshake(
	ctx context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.engineAddress = req.EngineAddress
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(ctx context.Context, _ *pbempty.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (h *host) GetRequiredPlugins(
	ctx context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	pkgs, err := h.pluginPackages(ctx, req.Info)
	if err != nil {
		return nil, err
	}
	plugins := make([]*pulumirpc.PluginDependency, 0, len(pkgs))
	for _, p := range pkgs {
		plugins = append(plugins, &pulumirpc.PluginDependency{Name: p.Name, Kind: "resource", Version: p.Version, Server: p.Server})
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}

func (h *host) GetRequiredPackages(
	ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	pkgs, err := h.pluginPackages(ctx, req.Info)
	if err != nil {
		return nil, err
	}
	deps := make([]*pulumirpc.PackageDependency, 0, len(pkgs))
	for _, p := range pkgs {
		deps = append(deps, &pulumirpc.PackageDependency{Name: p.Name, Kind: "resource", Version: p.Version, Server: p.Server})
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: deps}, nil
}

// Run runs the program through the launcher script in the project's virtualenv, with the stack's config in
// PULUMI_CONFIG as the Python SDK expects it.
func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	tc, err := resolve(req.Info)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	if err := tc.ValidateVenv(ctx); err != nil {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("the program's Python environment is not usable: %v "+
			"(create it, e.g. `make install` for Rollway's own project)", err)}, nil
	}
	args := []string{"-u", h.execScript,
		"--monitor", req.MonitorAddress,
		"--engine", h.engineAddress,
		"--project", req.Project,
		"--stack", req.Stack,
		"--pwd", req.Pwd,
		"--dry_run", strconv.FormatBool(req.DryRun),
		"--parallel", strconv.Itoa(int(req.Parallel)),
	}
	if req.Organization != "" {
		args = append(args, "--organization", req.Organization)
	}
	if req.Info != nil && req.Info.RootDirectory != "" {
		args = append(args, "--root_directory", req.Info.RootDirectory)
	}
	program := req.Program
	if req.Info != nil && req.Info.EntryPoint != "" {
		program = filepath.Join(req.Info.ProgramDirectory, req.Info.EntryPoint)
	}
	args = append(args, program)
	args = append(args, req.Args...)

	cmd, err := tc.Command(ctx, args...)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	stackConfig := req.Config
	if stackConfig == nil {
		// A stack without config: the launcher needs an object (`null` would crash the SDK's set_all_config).
		stackConfig = map[string]string{}
	}
	config, err := json.Marshal(stackConfig)
	if err != nil {
		return nil, err
	}
	secretKeys := req.ConfigSecretKeys
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secrets, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}
	cmd.Env = append(cmd.Environ(), "PULUMI_CONFIG="+string(config), "PULUMI_CONFIG_SECRET_KEYS="+string(secrets))
	cmd.Dir = req.Pwd
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			if status, ok := exit.Sys().(syscall.WaitStatus); ok && status.ExitStatus() == userActionableExit {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exit.ExitCode())}, nil
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("Problem executing program (could not run language executor): %v", err)}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// RunPlugin runs a Python plugin (a policy pack: its directory's __main__.py) in its own toolchain, streaming
// its output to the engine, which reads the plugin's port from the first line.
//
// A policy pack is started behind the SDK's policy proxy, as Pulumi's own language hosts do: the engine tells
// an analyzer which stack it serves only over gRPC (ConfigureStack), while the Python policy SDK (and our
// packs' environment detection) read it from PULUMI_STACK, PULUMI_PROJECT, PULUMI_CONFIG and friends. The
// proxy answers the engine first, the pack is then started with those variables set, and every later call is
// forwarded to it. Without this, every pack would see no stack name and no stack config.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse]) error {
	ctx := server.Context()
	tc, err := resolve(req.Info)
	if err != nil {
		return err
	}
	program := req.Program
	if req.Info != nil && req.Info.ProgramDirectory != "" {
		program = req.Info.ProgramDirectory
	}
	var mu sync.Mutex
	send := func(r *pulumirpc.RunPluginResponse) error {
		mu.Lock()
		defer mu.Unlock()
		return server.Send(r)
	}
	var stdout io.Writer = streamWriter{send: func(b []byte) error {
		return send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}})
	}}
	stderr := streamWriter{send: func(b []byte) error {
		return send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: b}})
	}}
	env := append([]string(nil), req.Env...)
	var proxy *sdk.PolicyProxy
	if req.Kind == string(apitype.AnalyzerPlugin) {
		proxy, stdout, err = sdk.NewPolicyProxy(ctx, stdout)
		if err != nil {
			return fmt.Errorf("could not start the policy proxy: %w", err)
		}
		stack, err := proxy.AwaitConfiguration(ctx)
		if err != nil {
			return fmt.Errorf("the engine never configured the policy pack's stack: %w", err)
		}
		stackEnv, err := policyStackEnv(stack)
		if err != nil {
			return err
		}
		env = append(env, stackEnv...)
	}
	cmd, err := tc.Command(ctx, append([]string{"-u", program}, req.Args...)...)
	if err != nil {
		return err
	}
	cmd.Env = append(cmd.Environ(), env...)
	cmd.Dir = req.Pwd
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	if proxy != nil {
		// Attach waits for the pack itself (reading its port, forwarding calls) and returns its exit.
		err = proxy.Attach(ctx, cmd)
	} else {
		err = cmd.Wait()
	}
	code := 0
	if err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			return err
		}
		code = exit.ExitCode()
	}
	return send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(code)}})
}

// policyStackEnv is the environment a policy pack process reads its stack from, as the engine sets it for packs
// it starts itself (PULUMI_CONFIG is the stack config as a JSON object of strings). No configuration (the engine
// asked something else first, e.g. `pulumi policy publish`) means no variables.
func policyStackEnv(stack *pulumirpc.AnalyzerStackConfigureRequest) ([]string, error) {
	if stack == nil {
		return nil, nil
	}
	var env []string
	add := func(key, value string) {
		if value != "" {
			env = append(env, key+"="+value)
		}
	}
	if len(stack.Config) > 0 {
		config, err := json.Marshal(stack.Config)
		if err != nil {
			return nil, fmt.Errorf("the stack config cannot be passed to the policy pack: %w", err)
		}
		add("PULUMI_CONFIG", string(config))
	}
	if len(stack.ConfigSecretKeys) > 0 {
		keys, err := json.Marshal(stack.ConfigSecretKeys)
		if err != nil {
			return nil, fmt.Errorf("the stack's secret config keys cannot be passed to the policy pack: %w", err)
		}
		add("PULUMI_CONFIG_SECRET_KEYS", string(keys))
	}
	add("PULUMI_ORGANIZATION", stack.Organization)
	add("PULUMI_PROJECT", stack.Project)
	add("PULUMI_STACK", stack.Stack)
	add("PULUMI_DRY_RUN", strconv.FormatBool(stack.DryRun))
	return env, nil
}

// GeneratePackage writes a Python SDK for a package schema (`pulumi package add`, `pulumi package gen-sdk`) with
// Pulumi's own Python code generator from pkg/v3, the same generator Pulumi's host runs.
func (h *host) GeneratePackage(
	ctx context.Context, req *pulumirpc.GeneratePackageRequest,
) (*pulumirpc.GeneratePackageResponse, error) {
	loader, err := schema.NewLoaderClient(req.LoaderTarget)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the engine's schema loader: %w", err)
	}
	defer loader.Close()
	var spec schema.PackageSpec
	if err := json.Unmarshal([]byte(req.Schema), &spec); err != nil {
		return nil, fmt.Errorf("the package schema is not valid JSON: %w", err)
	}
	pkg, diags, err := schema.BindSpec(spec, loader, schema.ValidationOptions{})
	if err != nil {
		return nil, err
	}
	response := &pulumirpc.GeneratePackageResponse{Diagnostics: plugin.HclDiagnosticsToRPCDiagnostics(diags)}
	if diags.HasErrors() {
		return response, nil
	}
	files, err := python.GeneratePackage("pulumi-language-python", pkg, req.ExtraFiles, loader)
	if err != nil {
		return nil, err
	}
	for name, content := range files {
		path := filepath.Join(req.Directory, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, content, 0o600); err != nil {
			return nil, err
		}
	}
	return response, nil
}

// Link records locally generated SDKs as dependencies of a Python program with the toolchain's own LinkPackages
// (requirements.txt for pip, `uv add` / `poetry add` for those), the program's toolchain resolved as for a run.
// The engine then installs them with InstallDependencies.
func (h *host) Link(ctx context.Context, req *pulumirpc.LinkRequest) (*pulumirpc.LinkResponse, error) {
	tc, err := resolve(req.Info)
	if err != nil {
		return nil, err
	}
	packages := make(map[string]string, len(req.Packages))
	var instructions []string
	for _, dep := range req.Packages {
		// The engine gives each package's path relative to the project root, where the toolchain's files live.
		path := dep.Path
		if !filepath.IsAbs(path) {
			path = filepath.Join(req.Info.RootDirectory, path)
		}
		module, err := generatedModule(path)
		if err != nil {
			return nil, err
		}
		packages[module] = filepath.ToSlash(dep.Path)
		name := strings.ReplaceAll(dep.GetPackage().GetName(), "-", "_")
		instructions = append(instructions, fmt.Sprintf("import %s as %s", module, name))
	}
	if err := tc.LinkPackages(ctx, packages); err != nil {
		return nil, fmt.Errorf("linking the generated SDKs into the program failed: %w", err)
	}
	return &pulumirpc.LinkResponse{
		ImportInstructions: "You can then import the SDK in your Python code with:\n\n  " + strings.Join(instructions, "\n  ") + "\n",
	}, nil
}

// generatedModule is the import name of a generated SDK: its top-level folder that holds pulumi-plugin.json.
func generatedModule(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("the generated SDK %s cannot be read: %w", dir, err)
	}
	for _, entry := range entries {
		if entry.IsDir() {
			if _, err := os.Stat(filepath.Join(dir, entry.Name(), "pulumi-plugin.json")); err == nil {
				return entry.Name(), nil
			}
		}
	}
	return "", fmt.Errorf("%s holds no generated Python package (no folder with pulumi-plugin.json)", dir)
}

func (h *host) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, server grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	tc, err := resolve(req.Info)
	if err != nil {
		return err
	}
	out := streamWriter{send: func(b []byte) error {
		return server.Send(&pulumirpc.InstallDependenciesResponse{Stdout: b})
	}}
	errOut := streamWriter{send: func(b []byte) error {
		return server.Send(&pulumirpc.InstallDependenciesResponse{Stderr: b})
	}}
	directory := req.Directory
	if req.Info != nil && req.Info.ProgramDirectory != "" {
		directory = req.Info.ProgramDirectory
	}
	return tc.InstallDependencies(server.Context(), directory, req.UseLanguageVersionTools, true, out, errOut)
}

type streamWriter struct{ send func([]byte) error }

func (w streamWriter) Write(p []byte) (int, error) {
	if err := w.send(append([]byte(nil), p...)); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (h *host) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	tc, err := resolve(req.Info)
	if err != nil {
		return nil, err
	}
	info, err := tc.About(ctx)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{Executable: info.PythonExecutable, Version: info.PythonVersion.String()}, nil
}

func (h *host) GetProgramDependencies(
	ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	tc, err := resolve(req.Info)
	if err != nil {
		return nil, err
	}
	pkgs, err := tc.ListPackages(ctx, req.TransitiveDependencies)
	if err != nil {
		return nil, err
	}
	deps := make([]*pulumirpc.DependencyInfo, 0, len(pkgs))
	for _, p := range pkgs {
		deps = append(deps, &pulumirpc.DependencyInfo{Name: p.Name, Version: p.Version})
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

func (h *host) RuntimeOptionsPrompts(
	ctx context.Context, req *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

func (h *host) Cancel(ctx context.Context, _ *pbempty.Empty) (*pbempty.Empty, error) {
	return &pbempty.Empty{}, nil
}
