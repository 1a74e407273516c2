package installer

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"text/template"
)

// MSI identity. UpgradeCode never changes: MajorUpgrade finds older
// versions by it.
const (
	MSIUpgradeCode  = "6B0D2A53-4C1E-4F7A-9E51-2B7D8C0F4A11"
	msiManufacturer = "Packline"
)

// MSI describes the Windows installer.
type MSI struct {
	// Version is the product version, three numbers (MajorUpgrade compares
	// them).
	Version string
	// AgentExe and StationExe are the binaries, relative to the directory
	// wixl runs in; an empty StationExe builds an agent-only package.
	AgentExe, StationExe string
}

var msiVersion = regexp.MustCompile(`^\d{1,3}\.\d{1,3}\.\d{1,5}$`)

// MSIVersion turns a version such as v1.4.2-3-gabc into the MSI's three
// numbers; build is used when v has none (a build number).
func MSIVersion(v string, build int) string {
	m := regexp.MustCompile(`^v?(\d{1,3})\.(\d{1,3})\.(\d{1,5})`).FindStringSubmatch(v)
	if m == nil {
		return fmt.Sprintf("0.0.%d", build)
	}
	return m[1] + "." + m[2] + "." + m[3]
}

// Wxs returns the WiX source that wixl builds into the MSI: the agent in
// Program Files\Packline registered as the automatic service packline-agent
// with its event-log source, the station app with a Start-menu shortcut
// (full screen, StationLaunchArgs), and
// "packline-agent init" run at install, which writes the default config and
// the data folder under ProgramData only when absent; uninstall keeps them
// unless PURGE=1 is given (msiexec /x packline.msi PURGE=1).
// The source files are named relative to the directory wixl runs in.
//
// The service's recovery actions are not in the MSI: wixl (msitools 0.101)
// rejects ServiceConfig, util:ServiceConfig and ServiceConfigFailureActions
// under ServiceInstall. The agent sets them itself each time the service
// control manager starts it (prepareRun in agent/svc), and clears them when
// it stops for good.
func (m MSI) Wxs() (string, error) {
	if !msiVersion.MatchString(m.Version) {
		return "", fmt.Errorf("msi version %q: use three numbers like 1.4.2", m.Version)
	}
	if m.AgentExe == "" {
		return "", fmt.Errorf("msi: the agent binary is required")
	}
	var b bytes.Buffer
	err := wxsTemplate.Execute(&b, map[string]any{
		"Version": m.Version, "UpgradeCode": MSIUpgradeCode, "Manufacturer": msiManufacturer,
		"Agent": m.AgentExe, "Station": m.StationExe, "StationArgs": StationLaunchArgs,
		"Description": "Packline warehouse agent: TikTok Shop orders, scales and label printers for packing stations.",
	})
	return b.String(), err
}

var wxsTemplate = template.Must(template.New("wxs").Funcs(template.FuncMap{"x": xmlEscape}).Parse(`<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="Packline" Language="1033" Version="{{.Version}}" Manufacturer="{{.Manufacturer}}" UpgradeCode="{{.UpgradeCode}}">
    <Package InstallerVersion="500" Compressed="yes" InstallScope="perMachine" Description="Packline {{.Version}}" Manufacturer="{{.Manufacturer}}"/>
    <MajorUpgrade DowngradeErrorMessage="A newer version of Packline is already installed."/>
    <Media Id="1" Cabinet="packline.cab" EmbedCab="yes"/>
    <Property Id="ARPURLINFOABOUT" Value="https://github.com/packline/packline"/>
    <!-- PURGE=1 on uninstall also removes the config and the data. -->
    <Property Id="PURGE" Value="0"/>

    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFiles64Folder">
        <Directory Id="INSTALLDIR" Name="Packline">
          <Component Id="AgentComponent" Guid="3C5F4E2A-8B1D-4D6E-A2F3-9C4B7E1D0A21" Win64="yes">
            <File Id="AgentExe" Name="packline-agent.exe" Source="{{x .Agent}}" KeyPath="yes"/>
            <ServiceInstall Id="AgentService" Name="packline-agent" DisplayName="Packline agent" Description="{{x .Description}}" Type="ownProcess" Start="auto" ErrorControl="normal" Account="LocalSystem" Vital="yes" Arguments="run --config &quot;[CommonAppDataFolder]Packline\agent.toml&quot;"/>
            <ServiceControl Id="AgentServiceStop" Name="packline-agent" Stop="both" Remove="uninstall" Wait="yes"/>
            <ServiceControl Id="AgentServiceStart" Name="packline-agent" Start="install" Wait="no"/>
            <RegistryKey Root="HKLM" Key="SYSTEM\CurrentControlSet\Services\EventLog\Application\packline-agent">
              <RegistryValue Name="EventMessageFile" Type="expandable" Value="%SystemRoot%\System32\EventCreate.exe"/>
              <RegistryValue Name="CustomSource" Type="integer" Value="1"/>
              <RegistryValue Name="TypesSupported" Type="integer" Value="7"/>
            </RegistryKey>
          </Component>
{{- if .Station}}
          <Component Id="StationComponent" Guid="7E2B9A14-5D3C-4F81-B6A0-1F8E3C2D4B52" Win64="yes">
            <File Id="StationExe" Name="packline-station.exe" Source="{{x .Station}}" KeyPath="yes">
              <Shortcut Id="StationShortcut" Directory="MenuDir" Name="Packline Station" Description="Scan, weigh and label TikTok Shop orders" Arguments="{{x .StationArgs}}" WorkingDirectory="INSTALLDIR" Advertise="no"/>
            </File>
            <RemoveFolder Id="RemoveMenuDir" Directory="MenuDir" On="uninstall"/>
          </Component>
{{- end}}
        </Directory>
      </Directory>
      <Directory Id="CommonAppDataFolder">
        <Directory Id="DATADIR" Name="Packline">
          <Component Id="DataDirComponent" Guid="A4D1C7E3-2F6B-4B9A-8E5D-3C0F1B7A9D63" Win64="yes">
            <CreateFolder/>
          </Component>
        </Directory>
      </Directory>
      <Directory Id="ProgramMenuFolder">
        <Directory Id="MenuDir" Name="Packline"/>
      </Directory>
    </Directory>

    <!-- The site's config and the data folder belong to the site, not to
         the package: init writes the default config only when there is
         none and creates the data folder and the tokens when absent, so
         it succeeds again on upgrade and repair. It fails on a config the
         new agent cannot load, and then the installation is rolled back
         and the installed version stays. -->
    <CustomAction Id="InitConfig" FileKey="AgentExe" ExeCommand="init --config &quot;[CommonAppDataFolder]Packline\agent.toml&quot;" Execute="deferred" Impersonate="no" Return="check"/>
    <!-- Purge: after the service has stopped (StopServices), the whole
         data folder. wixl has no util:RemoveFolderEx, so cmd.exe removes
         it; a file held open leaves it behind without failing the
         uninstall. Never during an upgrade. -->
    <CustomAction Id="SetPurgeCmd" Property="PURGECMD" Value="[System64Folder]cmd.exe"/>
    <CustomAction Id="PurgeData" Property="PURGECMD" ExeCommand="/d /c rmdir /s /q &quot;[CommonAppDataFolder]Packline&quot;" Execute="deferred" Impersonate="no" Return="ignore"/>
    <InstallExecuteSequence>
      <Custom Action="SetPurgeCmd" Sequence="3540">REMOVE~="ALL" AND PURGE="1" AND NOT UPGRADINGPRODUCTCODE</Custom>
      <Custom Action="PurgeData" Sequence="3550">REMOVE~="ALL" AND PURGE="1" AND NOT UPGRADINGPRODUCTCODE</Custom>
      <Custom Action="InitConfig" Sequence="5850">NOT REMOVE~="ALL"</Custom>
    </InstallExecuteSequence>

    <Feature Id="Packline" Title="Packline" Level="1">
      <ComponentRef Id="AgentComponent"/>
{{- if .Station}}
      <ComponentRef Id="StationComponent"/>
{{- end}}
      <ComponentRef Id="DataDirComponent"/>
    </Feature>
  </Product>
</Wix>
`))

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
