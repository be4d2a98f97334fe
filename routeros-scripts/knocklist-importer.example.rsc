# knocklist importer for knoc office-ssh, installed by the knocklist setup script.
# Reads a version reply and, when the version changed, every data page; checks that
# all pages arrived whole and from one snapshot; only then adds, updates and removes
# the entries of its address list whose comment is knocklist:office-ssh.
# Downloaded text is only ever data: this script never runs it.
:if ([/system script job print count-only where script="knocklist-office-ssh"] > 1) do={
  :log info "knocklist office-ssh: previous run still active, this run skipped"
} else={
  :local klScriptName "knocklist-office-ssh"
  :local klKnoc "office-ssh"
  :local klListName "knocknoc-users"
  :local klTag "knocklist:office-ssh"
  :local klBase "https://knocklist.example.net/v1/feeds/office-ssh/routeros"
  :local klUser "feed"
  :local klPassword "CHANGE-ME"
  # Last good run per importer as "<version>/<managed entries>"; globals are lost on reboot,
  # like the timed entries, so the first run after a boot is always a full one.
  :global knocklistState
  :if ([:typeof $knocklistState] != "array") do={ :set knocklistState [:toarray ""] }
  :local klOk true
  :local klProblem ""
  :local klReply
  :local klBody ""
  :local klHead ""
  :local klTok [:toarray ""]
  :local klVersion ""
  :local klPages 0
  :local klCount 0

  # Version reply: "knocklist-version 1 <knoc> <version> <pages> <count>", then "end".
  :do {
    :set klReply [/tool fetch url=($klBase . "/version") user=$klUser password=$klPassword check-certificate=yes-without-crl output=user as-value]
  } on-error={
    :set klOk false
    :set klProblem "fetching the version reply failed"
  }
  :if ($klOk) do={
    :set klBody ""
    :if ([:typeof ($klReply->"data")] = "str") do={ :set klBody ($klReply->"data") }
    :if (($klReply->"status") != "finished") do={
      :set klOk false
      :set klProblem ("the version reply" . " did not finish downloading")
    }
  }
  :if ($klOk) do={
    :local klNl [:find $klBody "\n"]
    :if ([:typeof $klNl] != "num") do={
      :set klOk false
      :set klProblem "the version reply is empty or cut short"
    } else={
      :set klHead [:pick $klBody 0 $klNl]
      :local klTail [:pick $klBody ($klNl + 1) [:len $klBody]]
      :if (($klTail != "end\n") && ($klTail != "end\r\n") && ($klTail != "end")) do={
        :set klOk false
        :set klProblem "the version reply is cut short or garbled"
      }
    }
  }
  :if ($klOk) do={
    :if ([:len $klHead] > 0) do={ :if ([:pick $klHead ([:len $klHead] - 1)] = "\r") do={ :set klHead [:pick $klHead 0 ([:len $klHead] - 1)] } }
    :set klTok [:toarray ""]
    :local klRest $klHead
    :local klSp [:find $klRest " "]
    :while (([:typeof $klSp] = "num") && ([:len $klTok] < 12)) do={
      :set klTok ($klTok, [:pick $klRest 0 $klSp])
      :set klRest [:pick $klRest ($klSp + 1) [:len $klRest]]
      :set klSp [:find $klRest " "]
    }
    :set klTok ($klTok, $klRest)
  }
  :if ($klOk) do={
    :if (([:len $klTok] != 6) || (($klTok->0) != "knocklist-version") || (($klTok->1) != "1") || (($klTok->2) != $klKnoc)) do={
      :set klOk false
      :set klProblem "the version reply is garbled"
    }
  }
  :if ($klOk) do={
    :local klNum [:tonum ($klTok->3)]
    :if ([:typeof $klNum] != "num") do={
      :set klOk false
      :set klProblem "the version reply is garbled"
    } else={
      :if (([:tostr $klNum] != ($klTok->3)) || ($klNum < 0)) do={
        :set klOk false
        :set klProblem "the version reply is garbled"
      }
    }
  }
  :if ($klOk) do={
    :local klNum [:tonum ($klTok->4)]
    :if ([:typeof $klNum] != "num") do={
      :set klOk false
      :set klProblem "the version reply is garbled"
    } else={
      :if (([:tostr $klNum] != ($klTok->4)) || ($klNum < 1) || ($klNum > 1000)) do={
        :set klOk false
        :set klProblem "the version reply is garbled"
      }
    }
  }
  :if ($klOk) do={
    :local klNum [:tonum ($klTok->5)]
    :if ([:typeof $klNum] != "num") do={
      :set klOk false
      :set klProblem "the version reply is garbled"
    } else={
      :if (([:tostr $klNum] != ($klTok->5)) || ($klNum < 0) || ($klNum > 1000000)) do={
        :set klOk false
        :set klProblem "the version reply is garbled"
      }
    }
  }
  :if ($klOk) do={
    :set klVersion ($klTok->3)
    :set klPages [:tonum ($klTok->4)]
    :set klCount [:tonum ($klTok->5)]
    # Same version and managed entry count as the last good run: nothing to do.
    :local klLast ($knocklistState->$klScriptName)
    :if ([:typeof $klLast] = "str") do={
      :local klManaged ([/ip firewall address-list print count-only where list=$klListName comment=$klTag] + [/ipv6 firewall address-list print count-only where list=$klListName comment=$klTag])
      :if ($klLast = ($klVersion . "/" . $klManaged)) do={
        :set klOk false
      }
    }
  }

  # Data pages: "knocklist-page 1 <knoc> <version> <page> <pages> <count> <entries>",
  # one "<4 or 6> <address> <seconds left>" line per entry, then "end". Entries
  # with time left are collected per family, keyed by address, before any change.
  :local klWant4 [:toarray ""]
  :local klWant6 [:toarray ""]
  :local klSeen 0
  :local klPage 1
  :while ($klOk && ($klPage <= $klPages)) do={
    :local klPageName ("page " . $klPage)
    :do {
      :set klReply [/tool fetch url=($klBase . "/pages/" . $klPage . "\3Fversion=" . $klVersion) user=$klUser password=$klPassword check-certificate=yes-without-crl output=user as-value]
    } on-error={
      :set klOk false
      :set klProblem ("fetching " . $klPageName . " failed")
    }
    :if ($klOk) do={
      :set klBody ""
      :if ([:typeof ($klReply->"data")] = "str") do={ :set klBody ($klReply->"data") }
      :if (($klReply->"status") != "finished") do={
        :set klOk false
        :set klProblem ($klPageName . " did not finish downloading")
      }
    }
    :local klNl
    :if ($klOk) do={
      :set klNl [:find $klBody "\n"]
      :if ([:typeof $klNl] != "num") do={
        :set klOk false
        :set klProblem ($klPageName . " is empty or cut short")
      } else={
        :set klHead [:pick $klBody 0 $klNl]
      }
    }
    :if ($klOk) do={
      :if ([:len $klHead] > 0) do={ :if ([:pick $klHead ([:len $klHead] - 1)] = "\r") do={ :set klHead [:pick $klHead 0 ([:len $klHead] - 1)] } }
      :set klTok [:toarray ""]
      :local klRest $klHead
      :local klSp [:find $klRest " "]
      :while (([:typeof $klSp] = "num") && ([:len $klTok] < 12)) do={
        :set klTok ($klTok, [:pick $klRest 0 $klSp])
        :set klRest [:pick $klRest ($klSp + 1) [:len $klRest]]
        :set klSp [:find $klRest " "]
      }
      :set klTok ($klTok, $klRest)
    }
    :if ($klOk) do={
      :if (([:len $klTok] != 8) || (($klTok->0) != "knocklist-page") || (($klTok->1) != "1") || (($klTok->2) != $klKnoc)) do={
        :set klOk false
        :set klProblem ($klPageName . " is garbled")
      } else={
        :if ((($klTok->3) != $klVersion) || (($klTok->5) != [:tostr $klPages]) || (($klTok->6) != [:tostr $klCount])) do={
          :set klOk false
          :set klProblem ("the feed changed while reading " . $klPageName . ", next run retries")
        } else={
          :if (($klTok->4) != [:tostr $klPage]) do={
            :set klOk false
            :set klProblem ($klPageName . " is garbled")
          }
        }
      }
    }
    :if ($klOk) do={
      :local klNum [:tonum ($klTok->7)]
      :if ([:typeof $klNum] != "num") do={
        :set klOk false
        :set klProblem ($klPageName . " is garbled")
      } else={
        :if (([:tostr $klNum] != ($klTok->7)) || ($klNum < 0) || ($klNum > 1000)) do={
          :set klOk false
          :set klProblem ($klPageName . " is garbled")
        }
      }
    }
    :if ($klOk) do={
      :local klPageEntries [:tonum ($klTok->7)]
      :local klPrev $klNl
      # Lines end in LF. CR LF is accepted too, and lines are checked for a CR only when the page contains one.
      :local klHasCr ([:typeof [:find $klBody "\r"]] = "num")
      :local klDone false
      :local klLines 0
      # klPrev is the index of the newline before the next line. If the start index of :find
      # turns out inclusive, the first search returns klPrev itself and is repeated one further.
      :while ($klOk && !$klDone) do={
        :local klNext [:find $klBody "\n" $klPrev]
        :if ([:typeof $klNext] = "num") do={ :if ($klNext = $klPrev) do={ :set klNext [:find $klBody "\n" ($klPrev + 1)] } }
        :local klUnterminated false
        :if ([:typeof $klNext] != "num") do={ :set klNext [:len $klBody]; :set klUnterminated true }
        :local klLine [:pick $klBody ($klPrev + 1) $klNext]
        :if ($klHasCr) do={ :if ([:len $klLine] > 0) do={ :if ([:pick $klLine ([:len $klLine] - 1)] = "\r") do={ :set klLine [:pick $klLine 0 ([:len $klLine] - 1)] } } }
        :if ($klLine = "end") do={
          :set klDone true
          :if ($klNext < ([:len $klBody] - 1)) do={
            :set klOk false
            :set klProblem ($klPageName . " has data after its end line")
          }
        } else={
          :if ($klUnterminated) do={
            :set klOk false
            :set klProblem ($klPageName . " is cut short")
          } else={
            :set klLines ($klLines + 1)
            :if ($klLines > $klPageEntries) do={
              :set klOk false
              :set klProblem ($klPageName . " has more entries than its header states")
            } else={
              :local klFam ""
              :local klAddr ""
              :local klSecs ""
              :local klSp [:find $klLine " "]
              :if ([:typeof $klSp] = "num") do={
                :set klFam [:pick $klLine 0 $klSp]
                :local klRest [:pick $klLine ($klSp + 1) [:len $klLine]]
                :set klSp [:find $klRest " "]
                :if ([:typeof $klSp] = "num") do={ :set klAddr [:pick $klRest 0 $klSp]; :set klSecs [:pick $klRest ($klSp + 1) [:len $klRest]] }
              }
              :local klGood false
              :local klNum [:tonum $klSecs]
              :if ([:typeof $klNum] = "num") do={ :if (([:tostr $klNum] = $klSecs) && ($klNum >= 0) && ($klNum <= 21474836)) do={ :set klGood true } }
              :if ($klGood) do={
                :set klGood false
                :local klHost $klAddr
                :local klBits ""
                :local klSlash [:find $klAddr "/"]
                :if ([:typeof $klSlash] = "num") do={ :set klHost [:pick $klAddr 0 $klSlash]; :set klBits [:pick $klAddr ($klSlash + 1) [:len $klAddr]] }
                :local klBitsNum [:tonum $klBits]
                :local klBitsOk false
                :if ([:typeof $klBitsNum] = "num") do={ :if (([:tostr $klBitsNum] = $klBits) && ($klBitsNum >= 0)) do={ :set klBitsOk true } }
                # IPv4 hosts come without /32 and IPv6 always with a prefix length, as RouterOS stores them.
                :if ($klFam = "4") do={
                  :if ([:typeof [:toip $klHost]] = "ip") do={
                    :if (($klBits = "") && ([:typeof $klSlash] != "num")) do={ :set klGood true }
                    :if ($klBitsOk) do={ :if ($klBitsNum < 32) do={ :set klGood true } }
                  }
                } else={
                  :if (($klFam = "6") && $klBitsOk) do={
                    :if (([:typeof [:toip6 $klHost]] = "ip6") && ($klBitsNum <= 128)) do={ :set klGood true }
                  }
                }
              }
              :if (!$klGood) do={
                :set klOk false
                :set klProblem ($klPageName . " has a garbled entry line")
              } else={
                :if ($klNum > 0) do={
                  :if ($klFam = "4") do={ :set ($klWant4->$klAddr) $klSecs } else={ :set ($klWant6->$klAddr) $klSecs }
                }
              }
            }
          }
        }
        :set klPrev $klNext
      }
      :if ($klOk && ($klLines != $klPageEntries)) do={
        :set klOk false
        :set klProblem ($klPageName . " has fewer entries than its header states")
      }
      :set klSeen ($klSeen + $klLines)
    }
    :set klPage ($klPage + 1)
  }
  :if ($klOk && ($klSeen != $klCount)) do={
    :set klOk false
    :set klProblem "the pages hold a different number of entries than the version reply states"
  }

  :if ($klOk) do={
    :local klAdded 0
    :local klUpdated 0
    :local klRemoved 0
    :local klKept 0
    :local klFailed 0
    # IPv4 entries of the managed list.
    :foreach klId in=[/ip firewall address-list find where list=$klListName comment=$klTag] do={
      :do {
        :local klHave [:tostr [/ip firewall address-list get $klId address]]
        :if ([:pick $klHave ([:len $klHave] - 3) [:len $klHave]] = "/32") do={ :set klHave [:pick $klHave 0 ([:len $klHave] - 3)] }
        :local klSecs ($klWant4->$klHave)
        :if (([:typeof $klSecs] = "str") && ($klSecs != "")) do={
          :set ($klWant4->$klHave) ""
          :local klWanted [:totime $klSecs]
          :local klCurrent [/ip firewall address-list get $klId timeout]
          :local klDrifted true
          :if ([:typeof $klCurrent] = "time") do={ :if ((($klWanted - $klCurrent) <= 30s) && (($klCurrent - $klWanted) <= 30s)) do={ :set klDrifted false } }
          :if ($klDrifted) do={ /ip firewall address-list set $klId timeout=$klSecs; :set klUpdated ($klUpdated + 1) }
        } else={
          /ip firewall address-list remove $klId
          :set klRemoved ($klRemoved + 1)
        }
      } on-error={
        :set klFailed ($klFailed + 1)
      }
    }
    :foreach klAddr,klSecs in=$klWant4 do={
      :if ($klSecs != "") do={
        :do {
          /ip firewall address-list add list=$klListName address=$klAddr timeout=$klSecs comment=$klTag
          :set klAdded ($klAdded + 1)
        } on-error={
          # An entry of the same address that the importer does not manage keeps it allowed.
          :if ([:len [/ip firewall address-list find where list=$klListName address=$klAddr]] > 0) do={ :set klKept ($klKept + 1) } else={ :set klFailed ($klFailed + 1) }
        }
      }
    }
    # IPv6 entries of the managed list.
    :foreach klId in=[/ipv6 firewall address-list find where list=$klListName comment=$klTag] do={
      :do {
        :local klHave [:tostr [/ipv6 firewall address-list get $klId address]]
        :if ([:typeof [:find $klHave "/"]] != "num") do={ :set klHave ($klHave . "/128") }
        :local klSecs ($klWant6->$klHave)
        :if (([:typeof $klSecs] = "str") && ($klSecs != "")) do={
          :set ($klWant6->$klHave) ""
          :local klWanted [:totime $klSecs]
          :local klCurrent [/ipv6 firewall address-list get $klId timeout]
          :local klDrifted true
          :if ([:typeof $klCurrent] = "time") do={ :if ((($klWanted - $klCurrent) <= 30s) && (($klCurrent - $klWanted) <= 30s)) do={ :set klDrifted false } }
          :if ($klDrifted) do={ /ipv6 firewall address-list set $klId timeout=$klSecs; :set klUpdated ($klUpdated + 1) }
        } else={
          /ipv6 firewall address-list remove $klId
          :set klRemoved ($klRemoved + 1)
        }
      } on-error={
        :set klFailed ($klFailed + 1)
      }
    }
    :foreach klAddr,klSecs in=$klWant6 do={
      :if ($klSecs != "") do={
        :do {
          /ipv6 firewall address-list add list=$klListName address=$klAddr timeout=$klSecs comment=$klTag
          :set klAdded ($klAdded + 1)
        } on-error={
          # An entry of the same address that the importer does not manage keeps it allowed.
          :if ([:len [/ipv6 firewall address-list find where list=$klListName address=$klAddr]] > 0) do={ :set klKept ($klKept + 1) } else={ :set klFailed ($klFailed + 1) }
        }
      }
    }
    :local klManaged ([/ip firewall address-list print count-only where list=$klListName comment=$klTag] + [/ipv6 firewall address-list print count-only where list=$klListName comment=$klTag])
    :local klSummary ("version " . $klVersion . ": " . $klAdded . " added, " . $klUpdated . " updated, " . $klRemoved . " removed, " . $klManaged . " managed")
    :if ($klFailed = 0) do={
      :set ($knocklistState->$klScriptName) ($klVersion . "/" . $klManaged)
      :if (($klAdded + $klUpdated + $klRemoved) > 0) do={ :log info ("knocklist " . $klKnoc . ": " . $klSummary) }
    } else={
      :set ($knocklistState->$klScriptName) ""
      :log warning ("knocklist " . $klKnoc . ": " . $klSummary . ", " . $klFailed . " changes failed, next run retries")
    }
  } else={
    :if ($klProblem != "") do={ :log warning ("knocklist " . $klKnoc . ": " . $klProblem . "; address list left unchanged") }
  }
}
